import type { Logger } from '@parley/logger';
import { isAppError } from '../errors/app-error.ts';
import type { RedisConnection } from '../redis/redis-client.ts';
import type { Cache, CacheEntry } from './cache.ts';
import { ttlToSeconds } from './cache.ts';

export interface RedisCacheOptions {
  /** The shared fail-fast connection: a slow or absent Redis costs at most its command timeout. */
  redis: RedisConnection;
  logger: Logger;
  clock?: () => Date;
}

/**
 * The {@link Cache} in Redis, shared by every replica: `${keyPrefix}cache:<key>` → JSON `{v, t}` (value and
 * epoch ms written), `SET … EX`. Every Redis failure is logged and read as a miss or a skipped write.
 */
export class RedisCache implements Cache {
  readonly #redis: RedisConnection;
  readonly #logger: Logger;
  readonly #clock: () => Date;

  constructor(options: RedisCacheOptions) {
    this.#redis = options.redis;
    this.#logger = options.logger;
    this.#clock = options.clock ?? (() => new Date());
  }

  async get(key: string): Promise<CacheEntry | null> {
    let text: string | null;
    try {
      text = await this.#redis.run((client) => client.get(this.#key(key)));
    } catch (err) {
      this.#logFailure(err, 'get');
      return null;
    }
    return text === null ? null : decode(text);
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    const entry = JSON.stringify({ v: value, t: this.#clock().getTime() });
    try {
      await this.#redis.run((client) =>
        client.set(this.#key(key), entry, { expiration: { type: 'EX', value: ttlToSeconds(ttlSeconds) } }),
      );
    } catch (err) {
      this.#logFailure(err, 'set');
    }
  }

  #key(key: string): string {
    return `${this.#redis.keyPrefix}cache:${key}`;
  }

  #logFailure(err: unknown, operation: 'get' | 'set'): void {
    // An unreachable Redis is already logged (rate-limited) by the connection; repeating it per call is noise.
    const level = isAppError(err) && err.code === 'unavailable' ? 'debug' : 'warn';
    this.#logger[level]({ err, operation }, 'cache unavailable; continuing without it');
  }
}

/** Anything that is not our own `{v, t}` (another writer, an old format) reads as a miss. */
function decode(text: string): CacheEntry | null {
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null) return null;
    const { v, t } = parsed as { v?: unknown; t?: unknown };
    return typeof v === 'string' && typeof t === 'number' ? { value: v, storedAt: t } : null;
  } catch {
    return null;
  }
}
