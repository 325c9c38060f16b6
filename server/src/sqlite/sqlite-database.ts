import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { AppError } from '../errors/app-error.ts';

export interface OpenSqliteOptions {
  /** File path, or ':memory:'. */
  path: string;
  /** One entry per schema version: entry i upgrades `user_version` i to i + 1. */
  migrations: readonly string[];
  /** Names the database in errors ("conversation database"). */
  name: string;
  /**
   * How long a statement waits for another connection's write lock before failing with SQLITE_BUSY.
   * Several server processes share these files (WORKERS > 1); their transactions are short.
   */
  busyTimeoutMs?: number;
}

const DEFAULT_BUSY_TIMEOUT_MS = 10_000;

/**
 * Opens an embedded SQLite file for one of the server's stores: WAL (readers never block the writer,
 * and other processes can read while one writes), a busy timeout so processes sharing the file wait for
 * each other instead of failing, and the schema brought to the newest version.
 *
 * Safe when several processes open a fresh file at the same moment (a server started with WORKERS=n):
 * the migration runs in one `BEGIN IMMEDIATE` transaction that takes the write lock first and only then
 * reads the schema version, so exactly one process upgrades and the others find it done.
 */
export function openSqlite(options: OpenSqliteOptions): Database.Database {
  const { path, migrations, name } = options;
  if (path !== ':memory:' && path !== '') mkdirSync(dirname(path), { recursive: true });
  const timeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
  const db = new Database(path, { timeout: timeoutMs });
  try {
    // Processes opening a fresh file together race to turn it to WAL, and SQLite answers the one it
    // turns away SQLITE_BUSY at once (its busy handler is not asked): that one tries again.
    retryWhileBusy(() => db.pragma('journal_mode = WAL'), timeoutMs);
    // WAL makes NORMAL safe against corruption; only the last commits may be lost on power failure.
    db.pragma('synchronous = NORMAL');
    migrate(db, migrations, name);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

/** Brings the schema to the newest version; a no-op on an up-to-date file. */
function migrate(db: Database.Database, migrations: readonly string[], name: string): void {
  const version = () => db.pragma('user_version', { simple: true }) as number;
  const check = (current: number) => {
    if (current > migrations.length) {
      throw new AppError(
        'failed_precondition',
        `${name} has schema version ${current}, newer than this server's ${migrations.length}`,
      );
    }
  };
  // Up to date (every start after the first): no write lock taken.
  const seen = version();
  check(seen);
  if (seen === migrations.length) return;
  db.transaction(() => {
    // Read again under the write lock: another process may have migrated while this one waited.
    const current = version();
    check(current);
    for (let v = current; v < migrations.length; v++) db.exec(migrations[v] ?? '');
    db.pragma(`user_version = ${migrations.length}`);
  }).immediate();
}

/** SQLITE_BUSY and its extended codes (SQLITE_BUSY_SNAPSHOT, …), as better-sqlite3 names them. */
export function isBusy(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}

/**
 * Runs `step` again, after short pauses that block the thread (start-up only), while it fails with
 * SQLITE_BUSY, for up to `timeoutMs`; then, or on any other error, throws.
 */
export function retryWhileBusy<T>(step: () => T, timeoutMs: number): T {
  const deadline = Date.now() + timeoutMs;
  for (let pauseMs = 1; ; pauseMs = Math.min(pauseMs * 2, 50)) {
    try {
      return step();
    } catch (err) {
      if (!isBusy(err) || Date.now() >= deadline) throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, pauseMs);
    }
  }
}
