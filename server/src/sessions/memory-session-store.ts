import type { SessionStore } from './session-store.ts';

interface Entry {
  conversationId: string;
  expiresAt: number;
}

/** Sessions in process memory: the single-machine default. Expired entries are dropped on read and swept. */
export class MemorySessionStore implements SessionStore {
  readonly #entries = new Map<string, Entry>();
  readonly #now: () => number;
  readonly #maxEntries: number;

  constructor(deps: { now?: () => number; maxEntries?: number } = {}) {
    this.#now = deps.now ?? Date.now;
    this.#maxEntries = deps.maxEntries ?? 100_000;
  }

  async get(key: string, ttlSeconds: number): Promise<string | null> {
    const entry = this.#entries.get(key);
    if (!entry) return null;
    const now = this.#now();
    if (entry.expiresAt <= now) {
      this.#entries.delete(key);
      return null;
    }
    entry.expiresAt = now + ttlSeconds * 1000;
    return entry.conversationId;
  }

  async set(key: string, conversationId: string, ttlSeconds: number): Promise<void> {
    if (this.#entries.size >= this.#maxEntries && !this.#entries.has(key)) this.#sweep();
    this.#entries.set(key, { conversationId, expiresAt: this.#now() + ttlSeconds * 1000 });
  }

  async delete(key: string): Promise<void> {
    this.#entries.delete(key);
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    this.#entries.clear();
  }

  // Bounded memory: drop expired entries, then the oldest ones if still full (Map keeps insertion order).
  #sweep(): void {
    const now = this.#now();
    for (const [key, entry] of this.#entries) if (entry.expiresAt <= now) this.#entries.delete(key);
    for (const key of this.#entries.keys()) {
      if (this.#entries.size < this.#maxEntries) break;
      this.#entries.delete(key);
    }
  }
}
