import { createHash } from 'node:crypto';

/** One cached value and when it was written (epoch ms), so callers can judge freshness themselves. */
export interface CacheEntry {
  value: string;
  storedAt: number;
}

/**
 * A best-effort key-value cache for tool results. Implementations never throw: a broken cache reads as
 * a miss and skips writes, because a cache must never fail the request it is meant to speed up.
 */
export interface Cache {
  get(key: string): Promise<CacheEntry | null>;
  /** Stores `value` for `ttlSeconds` (rounded up to whole seconds, at least one). */
  set(key: string, value: string, ttlSeconds: number): Promise<void>;
}

/**
 * `${namespace}:${sha256 hex}` of an already normalised query. Hashing bounds the key length and keeps
 * what users asked about (locations) out of key listings.
 */
export function cacheKey(namespace: string, normalizedQuery: string): string {
  return `${namespace}:${createHash('sha256').update(normalizedQuery).digest('hex')}`;
}

/** Whole seconds, at least one: Redis rejects `EX 0` and fractions. */
export function ttlToSeconds(ttlSeconds: number): number {
  return Math.max(1, Math.ceil(ttlSeconds));
}
