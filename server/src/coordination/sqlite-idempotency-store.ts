import type Database from 'better-sqlite3';
import { type NonBlockingWrite, nonBlockingWriter } from '../sqlite/non-blocking-writer.ts';
import { IDEMPOTENCY_TTL, type IdempotencyBegin, type IdempotencyStore } from './idempotency-store.ts';

interface IdempotencyRow {
  state: 'running' | 'done' | 'failed';
  response: string;
}

/** Idempotency records in the coordination file, shared by every process on the machine. */
export class SqliteIdempotencyStore implements IdempotencyStore {
  readonly #claim: (key: string) => IdempotencyBegin;
  readonly #put: Database.Statement<[string, string, string, number]>;
  /** Another process's write lock on the file is waited for on the event loop. */
  readonly #write: NonBlockingWrite;

  constructor(db: Database.Database) {
    this.#write = nonBlockingWriter(db, { name: 'coordination database' });
    const read = db.prepare<[string, number], IdempotencyRow>(
      'SELECT state, response FROM idempotency WHERE key = ? AND expires_at > ?',
    );
    this.#put = db.prepare(
      `INSERT INTO idempotency (key, state, response, expires_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET
         state = excluded.state, response = excluded.response, expires_at = excluded.expires_at`,
    );
    // Read and claim under one write lock (IMMEDIATE): two processes cannot both see the key free.
    this.#claim = db.transaction((key: string): IdempotencyBegin => {
      const now = Date.now();
      const row = read.get(key, now);
      if (row?.state === 'done') return { status: 'done', response: row.response };
      if (row?.state === 'running') return { status: 'running' };
      this.#put.run(key, 'running', '', now + IDEMPOTENCY_TTL.runningSeconds * 1000);
      return { status: 'started', retryOfFailure: row?.state === 'failed' };
    }).immediate;
  }

  begin(key: string): Promise<IdempotencyBegin> {
    return this.#write(() => this.#claim(key));
  }

  async complete(key: string, response: string): Promise<void> {
    await this.#write(() =>
      this.#put.run(key, 'done', response, Date.now() + IDEMPOTENCY_TTL.doneSeconds * 1000),
    );
  }

  async fail(key: string): Promise<void> {
    await this.#write(() =>
      this.#put.run(key, 'failed', '', Date.now() + IDEMPOTENCY_TTL.failedSeconds * 1000),
    );
  }
}
