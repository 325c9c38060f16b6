import type { Logger } from '@parley/logger';
import type Database from 'better-sqlite3';
import { nonBlockingWriter } from '../sqlite/non-blocking-writer.ts';
import { LeaseLock, type Leases } from './lease-lock.ts';

export interface SqliteLockOptions {
  /** The coordination database (see sqlite-coordination.ts). */
  db: Database.Database;
  logger: Logger;
  leaseMs?: number;
  waitMs?: number;
}

/**
 * A lease lock in the coordination SQLite file, so server processes on one machine take turns on a
 * conversation without Redis; see {@link LeaseLock}.
 */
export class SqliteLock extends LeaseLock {
  constructor(options: SqliteLockOptions) {
    const { db, ...rest } = options;
    super({ ...rest, store: 'sqlite', leases: sqliteLeases(db) });
  }
}

/** Lock leases in the coordination file: each is one atomic statement. */
function sqliteLeases(db: Database.Database): Leases {
  // Insert, or take over a lease whose holder let it expire; `changes` says whether we hold it now.
  const take = db.prepare<[string, string, number, number]>(
    `INSERT INTO locks (key, token, expires_at) VALUES (?, ?, ?)
     ON CONFLICT (key) DO UPDATE SET token = excluded.token, expires_at = excluded.expires_at
     WHERE locks.expires_at <= ?`,
  );
  const extend = db.prepare<[number, string, string]>(
    'UPDATE locks SET expires_at = ? WHERE key = ? AND token = ?',
  );
  const release = db.prepare<[string, string]>('DELETE FROM locks WHERE key = ? AND token = ?');
  // Another process's write lock on the file is waited for on the event loop (the clock read in each try).
  const write = nonBlockingWriter(db, { name: 'coordination database' });
  return {
    acquire: (key, token, leaseMs) =>
      write(() => {
        const now = Date.now();
        return take.run(key, token, now + leaseMs, now).changes === 1;
      }),
    extend: async (key, token, leaseMs) => {
      await write(() => extend.run(Date.now() + leaseMs, key, token));
    },
    release: async (key, token) => {
      await write(() => release.run(key, token));
    },
  };
}
