import type Database from 'better-sqlite3';
import { type NonBlockingWrite, nonBlockingWriter } from '../sqlite/non-blocking-writer.ts';
import {
  claimOf,
  IDEMPOTENCY_TTL,
  type IdempotencyBegin,
  type IdempotencyRecord,
  type IdempotencyStore,
} from './idempotency-store.ts';

/** Idempotency records in the coordination file, shared by every process on the machine. */
export class SqliteIdempotencyStore implements IdempotencyStore {
  readonly leaseMs: number;
  readonly #claim: (key: string) => IdempotencyBegin;
  readonly #put: Database.Statement<[string, string, string, number, number]>;
  readonly #renew: Database.Statement<[number, number, string]>;
  /** Another process's write lock on the file is waited for on the event loop. */
  readonly #write: NonBlockingWrite;

  constructor(db: Database.Database, options: { leaseMs?: number } = {}) {
    this.leaseMs = options.leaseMs ?? IDEMPOTENCY_TTL.leaseMs;
    this.#write = nonBlockingWriter(db, { name: 'coordination database' });
    const read = db.prepare<[string, number], IdempotencyRecord>(
      'SELECT state, response, lease_until AS leaseUntil FROM idempotency WHERE key = ? AND expires_at > ?',
    );
    this.#put = db.prepare(
      `INSERT INTO idempotency (key, state, response, expires_at, lease_until) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET state = excluded.state, response = excluded.response,
         expires_at = excluded.expires_at, lease_until = excluded.lease_until`,
    );
    this.#renew = db.prepare(
      `UPDATE idempotency SET expires_at = ?, lease_until = ? WHERE key = ? AND state = 'running'`,
    );
    // Read and claim under one write lock (IMMEDIATE): two processes cannot both see the key free.
    this.#claim = db.transaction((key: string): IdempotencyBegin => {
      const now = Date.now();
      const claim = claimOf(read.get(key, now), now);
      if (claim.status === 'started') {
        this.#put.run(key, 'running', '', now + IDEMPOTENCY_TTL.failedSeconds * 1000, now + this.leaseMs);
      }
      return claim;
    }).immediate;
  }

  begin(key: string): Promise<IdempotencyBegin> {
    return this.#write(() => this.#claim(key));
  }

  async renew(key: string): Promise<void> {
    await this.#write(() => {
      const now = Date.now();
      this.#renew.run(now + IDEMPOTENCY_TTL.failedSeconds * 1000, now + this.leaseMs, key);
    });
  }

  async complete(key: string, response: string): Promise<void> {
    await this.#write(() =>
      this.#put.run(key, 'done', response, Date.now() + IDEMPOTENCY_TTL.doneSeconds * 1000, 0),
    );
  }

  async fail(key: string): Promise<void> {
    await this.#write(() =>
      this.#put.run(key, 'failed', '', Date.now() + IDEMPOTENCY_TTL.failedSeconds * 1000, 0),
    );
  }
}
