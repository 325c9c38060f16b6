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
];

/** The rate-limit counters' table, for RateLimiterSQLite's `tableName`. */
export const RATE_LIMIT_TABLE = 'rate_limits';

export function openCoordinationDatabase(path: string): Database.Database {
  return openSqlite({ path, migrations: MIGRATIONS, name: 'coordination database' });
}

/** Deletes expired rows (rate-limit windows an hour after they ended). Any process may run it. */
export function sweepExpired(db: Database.Database, now = Date.now()): void {
  db.prepare('DELETE FROM locks WHERE expires_at <= ?').run(now);
  db.prepare('DELETE FROM idempotency WHERE expires_at <= ?').run(now);
  db.prepare('DELETE FROM sessions WHERE expires_at <= ?').run(now);
  db.prepare(`DELETE FROM ${RATE_LIMIT_TABLE} WHERE expire < ?`).run(now - 3_600_000);
}
