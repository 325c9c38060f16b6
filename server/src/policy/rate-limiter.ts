import type { Logger } from '@parley/logger';
import type Database from 'better-sqlite3';
import {
  type RateLimiterAbstract,
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
  RateLimiterSQLite,
} from 'rate-limiter-flexible';
import type { RedisConnection } from '../redis/redis-client.ts';

/** One limit: at most `points` per fixed window of `durationSeconds`, counted per key. */
export interface RateRule {
  /** Names the counter (part of the Redis key), e.g. `user-turns`. */
  name: string;
  points: number;
  durationSeconds: number;
}

export interface RateDecision {
  allowed: boolean;
  /** How long until a point is free again; 0 when allowed. */
  retryAfterMs: number;
  /** Points left in the current window after this one. */
  remaining: number;
}

export interface RateLimiterDeps {
  /** Shared counters for every replica when set; process memory otherwise. */
  redis?: RedisConnection;
  /**
   * Without Redis: counters shared by the server processes of one machine (WORKERS > 1), in the
   * coordination database's `rate_limits` table.
   */
  sqlite?: { db: Database.Database; table: string };
  logger: Logger;
  /** While Redis keeps failing, at most one warning per this interval. Default 30 s. */
  warnIntervalMs?: number;
}

interface Backends {
  shared?: RateLimiterAbstract;
  /** The only counter without Redis, and the insurance when Redis is down or slow. */
  local: RateLimiterMemory;
}

/**
 * Rate limits on rate-limiter-flexible. With Redis the counters are shared by every replica (with a
 * shared SQLite file, by every process of one machine); a store failure never blocks or fails a request:
 * an unready Redis connection is refused at once and a slow one after the connection's command timeout,
 * and the decision then comes from an in-memory insurance limiter with the same rule (per process, so a
 * user is never let through unlimited while the store is down).
 *
 * The fallback is done here rather than with the library's `insuranceLimiter` option so that it can be
 * bounded by our command timeout and logged.
 */
export class RateLimiter {
  readonly #redis: RedisConnection | undefined;
  readonly #sqlite: RateLimiterDeps['sqlite'];
  readonly #logger: Logger;
  readonly #warnIntervalMs: number;
  readonly #limiters = new Map<string, Backends>();
  #lastWarnAt = Number.NEGATIVE_INFINITY;
  #suppressed = 0;

  constructor(deps: RateLimiterDeps) {
    this.#redis = deps.redis;
    this.#sqlite = deps.sqlite;
    this.#logger = deps.logger;
    this.#warnIntervalMs = deps.warnIntervalMs ?? 30_000;
  }

  /** Takes `points` from `key`'s allowance under `rule`. Never throws for a store failure. */
  async consume(rule: RateRule, key: string, points = 1): Promise<RateDecision> {
    const backends = this.#backends(rule);
    const outcome = await this.#withFallback(backends, (limiter) => limiter.consume(key, points));
    if (outcome instanceof RateLimiterRes && outcome.remainingPoints >= 0 && !outcome.rejected) {
      return { allowed: true, retryAfterMs: 0, remaining: outcome.remainingPoints };
    }
    return { allowed: false, retryAfterMs: Math.max(1, outcome.msBeforeNext), remaining: 0 };
  }

  /** Gives points back (a turn refused by a later check); best effort. */
  async refund(rule: RateRule, key: string, points = 1): Promise<void> {
    await this.#withFallback(this.#backends(rule), (limiter) => limiter.reward(key, points)).catch(
      () => undefined,
    );
  }

  /** Runs `op` on the shared limiter, on the local one if that fails; a refusal is a result. */
  async #withFallback(
    backends: Backends,
    op: (limiter: RateLimiterAbstract) => Promise<RateLimiterRes>,
  ): Promise<Outcome> {
    if (backends.shared) {
      try {
        const shared = op(backends.shared);
        return await settle(this.#redis ? withTimeout(shared, this.#redis.commandTimeoutMs) : shared);
      } catch (err) {
        this.#warn(err);
      }
    }
    return settle(op(backends.local));
  }

  #backends(rule: RateRule): Backends {
    const id = `${rule.name}:${rule.points}:${rule.durationSeconds}`;
    let backends = this.#limiters.get(id);
    if (!backends) {
      const options = { points: rule.points, duration: rule.durationSeconds, keyPrefix: `rl:${id}` };
      backends = { local: new RateLimiterMemory(options) };
      const shared = this.#shared(options);
      if (shared) backends.shared = shared;
      this.#limiters.set(id, backends);
    }
    return backends;
  }

  #shared(options: { points: number; duration: number; keyPrefix: string }): RateLimiterAbstract | undefined {
    if (this.#redis) {
      return new RateLimiterRedis({
        ...options,
        keyPrefix: `${this.#redis.keyPrefix}${options.keyPrefix}`,
        storeClient: this.#redis.client,
        // node-redis v4+ call shapes (eval with {keys, arguments}, pTTL).
        useRedisPackage: true,
        // Fail at once instead of waiting on a connection that is down.
        rejectIfRedisNotReady: true,
      });
    }
    if (this.#sqlite) {
      return new RateLimiterSQLite({
        ...options,
        storeClient: this.#sqlite.db,
        storeType: 'better-sqlite3',
        tableName: this.#sqlite.table,
        // The coordination database's migration made it; its sweeper removes old windows.
        tableCreated: true,
      });
    }
    return undefined;
  }

  #warn(err: unknown): void {
    const now = Date.now();
    if (now - this.#lastWarnAt < this.#warnIntervalMs) {
      this.#suppressed++;
      return;
    }
    this.#logger.warn(
      { err, suppressed: this.#suppressed },
      'rate limits fall back to this process (the shared store failed)',
    );
    this.#lastWarnAt = now;
    this.#suppressed = 0;
  }
}

type Outcome = RateLimiterRes & { rejected?: boolean };

/** rate-limiter-flexible rejects with a RateLimiterRes when over the limit: that is an answer, not a fault. */
async function settle(work: Promise<RateLimiterRes>): Promise<Outcome> {
  try {
    return await work;
  } catch (err) {
    if (err instanceof RateLimiterRes) return Object.assign(err, { rejected: true });
    throw err;
  }
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`rate limit store did not answer within ${ms} ms`)), ms);
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}
