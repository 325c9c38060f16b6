import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@parley/logger';
import { AppError } from '../errors/app-error.ts';
import type { KeyedLock } from './keyed-lock.ts';
import type { RedisCommands } from './redis-commands.ts';

// Release and extend only while we still own the lock: the value is our token.
const RELEASE =
  "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";
const EXTEND =
  "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end";

export interface RedisLockOptions {
  redis: RedisCommands;
  logger: Logger;
  keyPrefix?: string;
  /** The lock expires this long after its holder stops renewing it (a crashed replica). */
  leaseMs?: number;
  /** How long a caller waits for the lock before giving up with `aborted`. */
  waitMs?: number;
}

/**
 * A lease lock in Redis (`SET key token NX PX lease`), renewed while the holder works and released with
 * a compare-and-delete, so replicas take turns on a conversation and a dead holder's lock expires.
 * When Redis itself fails, the call runs without the cross-replica lock (logged): a Redis outage must
 * not stop conversations, and the per-process lock still orders this replica's turns.
 */
export class RedisLock implements KeyedLock {
  readonly #redis: RedisCommands;
  readonly #logger: Logger;
  readonly #prefix: string;
  readonly #leaseMs: number;
  readonly #waitMs: number;

  constructor(options: RedisLockOptions) {
    this.#redis = options.redis;
    this.#logger = options.logger;
    this.#prefix = `${options.keyPrefix ?? ''}lock:`;
    this.#leaseMs = options.leaseMs ?? 30_000;
    this.#waitMs = options.waitMs ?? 120_000;
  }

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const lockKey = this.#prefix + key;
    const token = randomUUID();
    let held: boolean;
    try {
      held = await this.#acquire(lockKey, token);
    } catch (err) {
      this.#logger.warn({ err }, 'redis lock unavailable; continuing with the local lock only');
      return fn();
    }
    if (!held) throw new AppError('aborted', 'the conversation is busy with another message; try again');
    const renewal = setInterval(() => void this.#extend(lockKey, token), this.#leaseMs / 3);
    renewal.unref();
    try {
      return await fn();
    } finally {
      clearInterval(renewal);
      await this.#redis
        .eval(RELEASE, { keys: [lockKey], arguments: [token] })
        .catch((err: unknown) => this.#logger.warn({ err }, 'redis lock release failed; it will expire'));
    }
  }

  async #acquire(lockKey: string, token: string): Promise<boolean> {
    const deadline = Date.now() + this.#waitMs;
    let pause = 5;
    for (;;) {
      const ok = await this.#redis.set(lockKey, token, { NX: true, PX: this.#leaseMs });
      if (ok !== null) return true;
      if (Date.now() >= deadline) return false;
      // Jittered, growing pauses keep many waiters from hammering Redis in lockstep.
      await sleep(pause + Math.random() * pause);
      pause = Math.min(pause * 2, 100);
    }
  }

  async #extend(lockKey: string, token: string): Promise<void> {
    try {
      await this.#redis.eval(EXTEND, { keys: [lockKey], arguments: [token, String(this.#leaseMs)] });
    } catch (err) {
      this.#logger.warn({ err }, 'redis lock renewal failed');
    }
  }
}
