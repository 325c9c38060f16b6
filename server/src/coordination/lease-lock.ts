import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@parley/logger';
import { AppError } from '../errors/app-error.ts';
import type { KeyedLock } from './keyed-lock.ts';

/** Leases in a store every process can reach (Redis, a shared SQLite file). Each call is atomic there. */
export interface Leases {
  /** Takes `key` for `token` unless another token holds an unexpired lease; true when taken. */
  acquire(key: string, token: string, leaseMs: number): Promise<boolean>;
  /** Extends the lease while `token` still holds it. */
  extend(key: string, token: string, leaseMs: number): Promise<void>;
  /** Gives the lease up if `token` still holds it. */
  release(key: string, token: string): Promise<void>;
}

export interface LeaseLockOptions {
  leases: Leases;
  logger: Logger;
  /** Names the store in log lines ("redis", "sqlite"). */
  store: string;
  /** The lock expires this long after its holder stops renewing it (a crashed process). */
  leaseMs?: number;
  /** How long a caller waits for the lock before giving up with `aborted`. */
  waitMs?: number;
}

/**
 * A lease lock shared by processes: taken when free or expired, renewed while the holder works, released
 * only by its holder (the value is a random token), so processes take turns on a conversation and a dead
 * holder's lock expires. Waiters poll with jittered, growing pauses. When the store itself fails, the
 * call runs without the cross-process lock (logged): an outage must not stop conversations, and the
 * per-process lock in front of it still orders this process's turns.
 */
export class LeaseLock implements KeyedLock {
  readonly #leases: Leases;
  readonly #logger: Logger;
  readonly #store: string;
  readonly #leaseMs: number;
  readonly #waitMs: number;

  constructor(options: LeaseLockOptions) {
    this.#leases = options.leases;
    this.#logger = options.logger;
    this.#store = options.store;
    this.#leaseMs = options.leaseMs ?? 30_000;
    this.#waitMs = options.waitMs ?? 120_000;
  }

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const token = randomUUID();
    let held: boolean;
    try {
      held = await this.#acquire(key, token);
    } catch (err) {
      this.#logger.warn(
        { err, store: this.#store },
        'shared lock unavailable; continuing with the local lock only',
      );
      return fn();
    }
    if (!held) throw new AppError('aborted', 'the conversation is busy with another message; try again');
    const renewal = setInterval(() => void this.#extend(key, token), this.#leaseMs / 3);
    renewal.unref();
    try {
      return await fn();
    } finally {
      clearInterval(renewal);
      await this.#leases
        .release(key, token)
        .catch((err: unknown) =>
          this.#logger.warn({ err, store: this.#store }, 'shared lock release failed; it will expire'),
        );
    }
  }

  async #acquire(key: string, token: string): Promise<boolean> {
    const deadline = Date.now() + this.#waitMs;
    let pause = 5;
    for (;;) {
      if (await this.#leases.acquire(key, token, this.#leaseMs)) return true;
      if (Date.now() >= deadline) return false;
      // Jittered, growing pauses keep many waiters from hammering the store in lockstep.
      await sleep(pause + Math.random() * pause);
      pause = Math.min(pause * 2, 100);
    }
  }

  async #extend(key: string, token: string): Promise<void> {
    try {
      await this.#leases.extend(key, token, this.#leaseMs);
    } catch (err) {
      this.#logger.warn({ err, store: this.#store }, 'shared lock renewal failed');
    }
  }
}
