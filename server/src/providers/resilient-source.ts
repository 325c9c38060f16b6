import type { Logger } from '@parley/logger';
import { isBrokenCircuitError } from 'cockatiel';
import type { Cache } from '../cache/cache.ts';
import { cacheKey } from '../cache/cache.ts';
import { isProviderError, isTransientProviderError, ProviderError } from './provider-http.ts';
import {
  type BreakerState,
  createResilience,
  type Resilience,
  type ResilienceOptions,
} from './resilience.ts';

/**
 * A value and where it came from. `stale` is a cached value past its TTL, served because the provider is
 * down; `unavailable` means there is no value at all and nobody may make one up.
 */
export type Sourced<T> =
  | { source: 'fresh'; data: T }
  | { source: 'cached' | 'stale'; ageSeconds: number; data: T }
  | { source: 'unavailable'; data?: undefined };

/** How a lookup used the cache: a value within its TTL, none usable (the provider was asked), or stale. */
export type CacheResult = 'hit' | 'miss' | 'stale';

/** Tuning of a source's policy, and how its lookups used the cache. */
export interface SourceOptions extends ResilienceOptions {
  /** Called once per lookup with how the cache served it (metrics hook in here). */
  onCacheResult?: (result: CacheResult) => void;
}

export interface ResilientSourceOptions extends SourceOptions {
  /** Cache namespace and log name: 'weather', 'holidays'. */
  name: string;
  cache: Cache;
  /** How long a cached value counts as fresh. */
  ttlSeconds: number;
  /** How long it is kept to be served stale while the provider is down. Default 24 × `ttlSeconds`. */
  staleTtlSeconds?: number;
  clock: () => Date;
  logger: Logger;
}

/** What a service over one provider takes: its client, the cache, and the tuning of its policy. */
export interface ProviderServiceOptions<Client> extends SourceOptions {
  client: Client;
  cache: Cache;
  clock: () => Date;
  logger: Logger;
  /** How long an answer counts as fresh (each service has its own default). */
  ttlSeconds?: number;
  /** How long it may be served stale while the provider is down (each service has its own default). */
  staleTtlSeconds?: number;
}

/**
 * Cache first, then the provider through the one resilience policy ({@link createResilience}), each
 * attempt bounded in time (5 s by default). When the provider fails, a stale cached value is served if
 * there is one.
 */
export class ResilientSource<T> {
  readonly #options: ResilientSourceOptions;
  readonly #policy: Resilience;

  constructor(options: ResilientSourceOptions) {
    this.#options = options;
    this.#policy = createResilience({
      ...options,
      logger: options.logger,
      attemptTimeoutMs: options.attemptTimeoutMs ?? 5000,
      isTransient: isTransientProviderError,
    });
  }

  get breakerState(): BreakerState {
    return this.#policy.breakerState;
  }

  /**
   * The value for `normalizedQuery`: cached if fresh, else loaded (and cached), else stale, else
   * unavailable. Throws only when `signal` aborts.
   */
  async get(
    normalizedQuery: string,
    load: (signal: AbortSignal) => Promise<T>,
    signal?: AbortSignal,
  ): Promise<Sourced<T>> {
    const { cache, ttlSeconds, name } = this.#options;
    const key = cacheKey(name, normalizedQuery);
    const entry = await cache.get(key);
    const cached = entry ? parse<T>(entry.value) : undefined;
    const ageSeconds = entry ? Math.max(0, Math.floor((this.#now() - entry.storedAt) / 1000)) : 0;
    const report = this.#options.onCacheResult;
    if (cached && ageSeconds < ttlSeconds) {
      report?.('hit');
      return { source: 'cached', ageSeconds, data: cached.data };
    }
    try {
      const data = await this.#policy.execute((attempt) => this.#attempt(load, attempt, signal), signal);
      await cache.set(key, JSON.stringify({ data }), this.#options.staleTtlSeconds ?? ttlSeconds * 24);
      report?.('miss');
      return { source: 'fresh', data };
    } catch (err) {
      if (signal?.aborted) throw err;
      this.#logFailure(err, cached !== undefined);
      report?.(cached ? 'stale' : 'miss');
      return cached ? { source: 'stale', ageSeconds, data: cached.data } : { source: 'unavailable' };
    }
  }

  /** One provider call; a call cut short by the per-attempt timeout (not by the caller) is a timeout. */
  async #attempt(
    load: (signal: AbortSignal) => Promise<T>,
    attempt: AbortSignal,
    caller?: AbortSignal,
  ): Promise<T> {
    try {
      return await load(attempt);
    } catch (err) {
      if (attempt.aborted && !caller?.aborted) throw new ProviderError(this.#options.name, 'timeout');
      throw err;
    }
  }

  #logFailure(err: unknown, servingStale: boolean): void {
    const logger = this.#options.logger;
    const fields = { provider: this.#options.name, servingStale };
    if (isBrokenCircuitError(err)) {
      logger.debug(fields, 'provider circuit open; not calling it');
    } else if (!isProviderError(err)) {
      logger.error({ ...fields, err }, 'provider lookup failed unexpectedly');
    } else {
      // Credentials or a broken response need an operator; the rest is the provider having a bad moment.
      const level = err.kind === 'auth' || err.kind === 'bad_response' ? 'error' : 'warn';
      logger[level](
        { ...fields, kind: err.kind, status: err.status, providerCode: err.providerCode },
        'provider lookup failed',
      );
    }
  }

  #now(): number {
    return this.#options.clock().getTime();
  }
}

/** Cached values are wrapped (`{data}`) so that a cached `null` ("no such place") is still a hit. */
function parse<T>(text: string): { data: T } | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && 'data' in parsed
      ? (parsed as { data: T })
      : undefined;
  } catch {
    return undefined;
  }
}

/** How a tool states provenance to the model: "fresh", "cached 12 min ago", "STALE: …", "unavailable: …". */
export function describeProvenance(result: Sourced<unknown>, what: string): string {
  switch (result.source) {
    case 'fresh':
      return `fresh from the ${what} provider`;
    case 'cached':
      return `cached ${formatAge(result.ageSeconds)} ago`;
    case 'stale':
      return `STALE: the ${what} provider is unavailable; this data is from ${formatAge(result.ageSeconds)} ago`;
    case 'unavailable':
      return `unavailable: the ${what} service cannot be reached right now and nothing is cached; never invent ${what} data`;
  }
}

export function formatAge(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min`;
  if (seconds < 172_800) return `${Math.floor(seconds / 3600)} h`;
  return `${Math.floor(seconds / 86_400)} days`;
}

/** "No such place" is an answer, cached like any other, not a provider failure. */
export async function nullIfNotFound<T>(work: Promise<T>): Promise<T | null> {
  try {
    return await work;
  } catch (err) {
    if (isProviderError(err) && err.kind === 'not_found') return null;
    throw err;
  }
}
