/**
 * Runs one function at a time per key (a conversation or a chat), in arrival order. Implementations:
 * {@link LocalLock} inside one process, and a Redis lock across server replicas.
 */
export interface KeyedLock {
  run<T>(key: string, fn: () => Promise<T>): Promise<T>;
}

/**
 * A per-key FIFO queue inside this process: callers run strictly in the order they arrived. Keys with
 * nobody waiting are dropped, so memory follows the number of busy keys.
 */
export class LocalLock implements KeyedLock {
  readonly #tails = new Map<string, Promise<void>>();

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const current = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => current);
    this.#tails.set(key, tail);
    await previous;
    try {
      return await fn();
    } finally {
      release();
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    }
  }

  /** How many keys have a holder or waiters (for tests and metrics). */
  get busyKeys(): number {
    return this.#tails.size;
  }
}

/** Runs `outer` then `inner` around a call: local FIFO first, so one replica sends one waiter to Redis. */
export function layeredLock(outer: KeyedLock, inner: KeyedLock): KeyedLock {
  return { run: (key, fn) => outer.run(key, () => inner.run(key, fn)) };
}
