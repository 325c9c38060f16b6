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
    const due = this.#due;
    this.#due = new Set();
    for (const stream of due) stream.flush();
  };
}
