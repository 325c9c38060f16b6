const BATCH = 64;

/** Something with text waiting to be written. */
export interface Flushable {
  flush(): void;
}

/**
 * One timer for every stream's pending text: a stream with text to write asks to be flushed, and at most
 * `windowMs` later (sooner when it asked late in a window) it is, with everything else due. Pieces that
 * arrive faster than that leave as one write; a stream costs no timer of its own per piece.
 */
export class FlushClock {
  readonly #windowMs: number;
  #due = new Set<Flushable>();
  #timer: NodeJS.Timeout | undefined;

  constructor(windowMs: number) {
    this.#windowMs = windowMs;
  }

  schedule(stream: Flushable): void {
    this.#due.add(stream);
    this.#timer ??= setTimeout(this.#tick, this.#windowMs);
  }

  cancel(stream: Flushable): void {
    this.#due.delete(stream);
  }

  readonly #tick = (): void => {
    this.#timer = undefined;
    const due = [...this.#due];
    this.#due = new Set();
    this.#flush(due, 0);
  };

  // In batches, letting the event loop take I/O in between: a new turn's request or its first model
  // chunk does not wait behind the writes of a thousand live streams.
  #flush(due: Flushable[], from: number): void {
    const end = Math.min(due.length, from + BATCH);
    for (let i = from; i < end; i++) due[i]?.flush();
    if (end < due.length) setImmediate(() => this.#flush(due, end));
  }
}
