import type { Logger } from '@parley/logger';
import type Database from 'better-sqlite3';
import { openSqlite } from '../sqlite/sqlite-database.ts';

/**
 * What several server processes on one machine share when there is no Redis (WORKERS > 1 on the
 * embedded default): lock leases, idempotency records, chat sessions (sessions/sqlite-session-store.ts)
 * and rate-limit counters (rate-limiter-flexible's RateLimiterSQLite layout), in one SQLite file beside
 * the conversations. Every row expires; {@link sweepExpired} removes the dead ones.
 */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE locks (key TEXT PRIMARY KEY, token TEXT NOT NULL, expires_at INTEGER NOT NULL) WITHOUT ROWID;
   CREATE TABLE idempotency (
     key TEXT PRIMARY KEY, state TEXT NOT NULL, response TEXT NOT NULL, expires_at INTEGER NOT NULL
   ) WITHOUT ROWID;
   CREATE TABLE sessions (key TEXT PRIMARY KEY, conversation_id TEXT NOT NULL, expires_at INTEGER NOT NULL)
     WITHOUT ROWID;
   CREATE TABLE rate_limits (key TEXT PRIMARY KEY, points INTEGER NOT NULL DEFAULT 0, expire INTEGER);`,
  // The sweep finds expired rows by index: a day of idempotency records can be millions of rows.
  `CREATE INDEX locks_by_expiry ON locks (expires_at);
   CREATE INDEX idempotency_by_expiry ON idempotency (expires_at);
   CREATE INDEX sessions_by_expiry ON sessions (expires_at);
   CREATE INDEX rate_limits_by_expiry ON rate_limits (expire);`,
  // A running claim's lease (ms): past it, the claim counts as failed (its holder died). 0: no lease.
  'ALTER TABLE idempotency ADD COLUMN lease_until INTEGER NOT NULL DEFAULT 0;',
];

/**
 * Rows one sweep deletes per table at most: one short write transaction each, so processes waiting to
 * write (every turn does) wait milliseconds, never for a sweep of a large backlog.
 */
const SWEEP_BATCH = 2_000;
/** How often each process sweeps; sooner while a sweep found a full batch (a backlog). */
const SWEEP_INTERVAL_MS = 30_000;
const SWEEP_BACKLOG_MS = 1_000;

/** The rate-limit counters' table, for RateLimiterSQLite's `tableName`. */
export const RATE_LIMIT_TABLE = 'rate_limits';

export function openCoordinationDatabase(path: string): Database.Database {
  return openSqlite({ path, migrations: MIGRATIONS, name: 'coordination database' });
}

/**
 * Deletes expired rows (rate-limit windows an hour after they ended), up to {@link SWEEP_BATCH} per
 * table; returns how many. Any process may run it; run it often enough to keep up with the writes.
 */
export function sweepExpired(db: Database.Database, now = Date.now()): number {
  let deleted = 0;
  const sweep = (table: string, column: string, before: number) => {
    const sql = `DELETE FROM ${table} WHERE key IN
      (SELECT key FROM ${table} WHERE ${column} <= ? LIMIT ${SWEEP_BATCH})`;
    deleted += db.prepare(sql).run(before).changes;
  };
  sweep('locks', 'expires_at', now);
  sweep('idempotency', 'expires_at', now);
  sweep('sessions', 'expires_at', now);
  sweep(RATE_LIMIT_TABLE, 'expire', now - 3_600_000);
  return deleted;
}

/** Sweeps every {@link SWEEP_INTERVAL_MS} (sooner through a backlog) until the returned stop is called. */
export function sweepInBackground(db: Database.Database, logger: Logger): () => void {
  let timer: NodeJS.Timeout | undefined;
  const schedule = (ms: number) => {
    timer = setTimeout(() => {
      let deleted = 0;
      try {
        deleted = sweepExpired(db);
      } catch (err) {
        logger.warn({ err }, 'could not sweep expired coordination rows');
      }
      schedule(deleted >= SWEEP_BATCH ? SWEEP_BACKLOG_MS : SWEEP_INTERVAL_MS);
    }, ms);
    timer.unref();
  };
  schedule(SWEEP_INTERVAL_MS);
  return () => clearTimeout(timer);
}
