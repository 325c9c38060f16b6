import {
  claimOf,
  IDEMPOTENCY_TTL,
  type IdempotencyBegin,
  type IdempotencyRecord,
  type IdempotencyStore,
} from './idempotency-store.ts';

interface Entry extends IdempotencyRecord {
  expiresAt: number;
}

/** Idempotency records in process memory (single server), bounded by expiry and entry count. */
export class MemoryIdempotencyStore implements IdempotencyStore {
  readonly leaseMs: number;
  readonly #entries = new Map<string, Entry>();
  readonly #now: () => number;
  readonly #maxEntries: number;

  constructor(options: { now?: () => number; maxEntries?: number; leaseMs?: number } = {}) {
    this.#now = options.now ?? Date.now;
    this.#maxEntries = options.maxEntries ?? 100_000;
    this.leaseMs = options.leaseMs ?? IDEMPOTENCY_TTL.leaseMs;
  }

  async begin(key: string): Promise<IdempotencyBegin> {
    const claim = claimOf(this.#live(key), this.#now());
    if (claim.status === 'started') this.#put(key, 'running', '', IDEMPOTENCY_TTL.failedSeconds);
    return claim;
  }

  async renew(key: string): Promise<void> {
    const entry = this.#live(key);
    if (entry?.state === 'running') this.#put(key, 'running', '', IDEMPOTENCY_TTL.failedSeconds);
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
    const now = this.#now();
    this.#entries.set(key, {
      state,
      response,
      expiresAt: now + ttlSeconds * 1000,
      leaseUntil: state === 'running' ? now + this.leaseMs : 0,
    });
  }
}
