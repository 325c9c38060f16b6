import { IDEMPOTENCY_TTL, type IdempotencyBegin, type IdempotencyStore } from './idempotency-store.ts';

interface Entry {
  state: 'running' | 'done' | 'failed';
  response: string;
  expiresAt: number;
}

/** Idempotency records in process memory (single server), bounded by expiry and entry count. */
export class MemoryIdempotencyStore implements IdempotencyStore {
  readonly #entries = new Map<string, Entry>();
  readonly #now: () => number;
  readonly #maxEntries: number;

  constructor(options: { now?: () => number; maxEntries?: number } = {}) {
    this.#now = options.now ?? Date.now;
    this.#maxEntries = options.maxEntries ?? 100_000;
  }

  async begin(key: string): Promise<IdempotencyBegin> {
    const entry = this.#live(key);
    if (entry?.state === 'done') return { status: 'done', response: entry.response };
    if (entry?.state === 'running') return { status: 'running' };
    this.#put(key, 'running', '', IDEMPOTENCY_TTL.runningSeconds);
    return { status: 'started', retryOfFailure: entry?.state === 'failed' };
  }

  async complete(key: string, response: string): Promise<void> {
    this.#put(key, 'done', response, IDEMPOTENCY_TTL.doneSeconds);
  }

  async fail(key: string): Promise<void> {
    this.#put(key, 'failed', '', IDEMPOTENCY_TTL.failedSeconds);
  }

  #live(key: string): Entry | undefined {
    const entry = this.#entries.get(key);
    if (entry && entry.expiresAt <= this.#now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry;
  }

  #put(key: string, state: Entry['state'], response: string, ttlSeconds: number): void {
    this.#entries.delete(key);
    if (this.#entries.size >= this.#maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    this.#entries.set(key, { state, response, expiresAt: this.#now() + ttlSeconds * 1000 });
  }
}
