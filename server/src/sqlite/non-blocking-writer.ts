import type Database from 'better-sqlite3';
import { UnavailableError } from '../errors/app-error.ts';

// better-sqlite3 is synchronous: a statement that meets another process's write lock (WORKERS > 1 on the
// shared SQLite files) sleeps the whole thread through SQLite's busy handler (1, 2, 5, 10 … 100 ms steps),
// and every stream of that process stalls meanwhile. Measured in a pool at 600 streams: about 40 such
// sleeps per worker per 14 s run, one of them a 100 ms step after ~0.3 s of waiting. A write run through
// this helper tries once without a busy timeout and, while the lock is taken, waits on the event loop.

export interface NonBlockingWriterOptions {
  /** Names the database in the error a write that never got the lock ends with. */
  name: string;
  /** How long a write may wait for the lock in all (the busy timeout it replaces). */
  maxWaitMs?: number;
}

/** Runs one write unit, waiting for another connection's write lock without blocking the event loop. */
export type NonBlockingWrite = <T>(write: () => T) => Promise<T>;

const DEFAULT_MAX_WAIT_MS = 10_000;
/** Pauses between tries: short at first (most locks are held for a commit), then at most this. */
const FIRST_PAUSE_MS = 1;
const MAX_PAUSE_MS = 25;

/**
 * For `db`: runs `write`, which must be all or nothing (one autocommit statement, or one `BEGIN
 * IMMEDIATE` transaction: SQLite answers SQLITE_BUSY before it changed anything, and better-sqlite3 rolls
 * a failed transaction back), with the connection's busy timeout off. On SQLITE_BUSY it tries the whole
 * unit again after a short jittered pause on the event loop, so the process keeps serving meanwhile; a
 * write that has not got the lock within `maxWaitMs` fails with `unavailable` and has written nothing.
 * Every other statement on the connection keeps its busy timeout.
 */
export function nonBlockingWriter(
  db: Database.Database,
  options: NonBlockingWriterOptions,
): NonBlockingWrite {
  const maxWaitMs = options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS;
  const usual = Number(db.pragma('busy_timeout', { simple: true }));
  // exec, not a prepared statement: SQLite applies this pragma while preparing it (a kept statement
  // would apply it once, and again whenever SQLite re-prepares it). A pair costs about 3 µs.
  const noWait = `PRAGMA busy_timeout = 0`;
  const restore = `PRAGMA busy_timeout = ${usual}`;
  const attempt = <T>(write: () => T): { ok: true; value: T } | { ok: false } => {
    db.exec(noWait);
    try {
      return { ok: true, value: write() };
    } catch (err) {
      if (isBusy(err)) return { ok: false };
      throw err;
    } finally {
      db.exec(restore);
    }
  };
  return async <T>(write: () => T): Promise<T> => {
    const first = attempt(write);
    if (first.ok) return first.value;
    const started = performance.now();
    for (let pause = FIRST_PAUSE_MS; ; pause = Math.min(MAX_PAUSE_MS, pause * 2)) {
      const waited = performance.now() - started;
      if (waited >= maxWaitMs) {
        throw new UnavailableError(`the ${options.name} stayed locked by another process`);
      }
      const jittered = pause * (0.5 + Math.random());
      await new Promise((resolve) => setTimeout(resolve, Math.min(jittered, maxWaitMs - waited)));
      const next = attempt(write);
      if (next.ok) return next.value;
    }
  };
}

/** SQLITE_BUSY and its extended codes (SQLITE_BUSY_SNAPSHOT, …), as better-sqlite3 names them. */
function isBusy(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}
