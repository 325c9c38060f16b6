import type { Cache, CacheEntry } from './cache.ts';
import { ttlToSeconds } from './cache.ts';

export interface MemoryCacheOptions {
  /** Most entries kept; the least recently used go first. Default 1000. */
  maxEntries?: number;
  clock?: () => Date;
}

interface Slot extends CacheEntry {
  expiresAt: number;
}

/** The {@link Cache} of one process, for running without Redis. Bounded (LRU) and TTL-aware. */
export class MemoryCache implements Cache {
  readonly #slots = new Map<string, Slot>();
  readonly #maxEntries: number;
  readonly #clock: () => Date;

  constructor(options: MemoryCacheOptions = {}) {
    this.#maxEntries = Math.max(1, options.maxEntries ?? 1000);
    this.#clock = options.clock ?? (() => new Date());
  }

  get size(): number {
    return this.#slots.size;
  }

  async get(key: string): Promise<CacheEntry | null> {
    const slot = this.#slots.get(key);
    if (!slot) return null;
    this.#slots.delete(key);
    if (slot.expiresAt <= this.#now()) return null;
    // Re-inserting moves the key to the end of the Map's order, which is what eviction reads as "recent".
    this.#slots.set(key, slot);
    return { value: slot.value, storedAt: slot.storedAt };
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    const now = this.#now();
    this.#slots.delete(key);
    this.#slots.set(key, { value, storedAt: now, expiresAt: now + ttlToSeconds(ttlSeconds) * 1000 });
    for (const oldest of this.#slots.keys()) {
      if (this.#slots.size <= this.#maxEntries) break;
      this.#slots.delete(oldest);
    }
  }

  #now(): number {
    return this.#clock().getTime();
  }
}
