import type Database from 'better-sqlite3';
import { UnavailableError } from '../errors/app-error.ts';
import { isBusy } from './sqlite-database.ts';

// better-sqlite3 is synchronous: a statement that meets another process's write lock (WORKERS > 1 on the
// shared SQLite files) sleeps the whole thread through SQLite's busy handler (1, 2, 5, 10 … 100 ms steps),
// and every stream of that process stalls meanwhile. Measured in a pool at 600 streams: about 40 such
// sleeps per worker per 14 s run, one of them a 100 ms step after ~0.3 s of waiting. A write run through
// this helper waits at most SHORT_WAIT_MS in SQLite (the other process's commit nearly always ends
// within it) and, while the lock is still taken, waits on the event loop: under load a timer there fires
// only after the rest of the loop's pass (tens of ms), so the short wait keeps the rare meeting cheap.
//
// Writes are also committed in groups: the units asked for while the event loop runs its callbacks are
// written together at the end of that pass (setImmediate), in one transaction, when there are several.
// A commit is most of a small write's CPU (its WAL frames: the pages it dirtied, a checksum over each,
// the write calls); units that touch the same pages (a table's last leaf, an index's upper levels) write
// them once for the group. Measured on the conversation schema: 47 µs an append alone, 26 in groups of
// 4, 22 in groups of 8 (docs/performance.md). In a pool, fewer commits also mean fewer turns of the
// file's write lock between processes.

export interface NonBlockingWriterOptions {
  /** Names the database in the error a write that never got the lock ends with. */
  name: string;
  /** How long a write may wait for the lock in all (the busy timeout it replaces). */
  maxWaitMs?: number;
}

/** Runs one write unit, waiting for another connection's write lock without blocking the event loop. */
export type NonBlockingWrite = <T>(write: () => T) => Promise<T>;

const DEFAULT_MAX_WAIT_MS = 10_000;
/** The busy timeout while a group runs: SQLite's handler sleeps 1 ms, then the 1 ms left. */
const SHORT_WAIT_MS = 2;
/** Pauses between tries: short at first (most locks are held for a commit), then at most this. */
const FIRST_PAUSE_MS = 1;
const MAX_PAUSE_MS = 25;
/** The most units one transaction takes; the rest follow in the next one. */
const MAX_GROUP = 128;

/**
 * For `db`: runs `write`, which must be all or nothing on its own (one autocommit statement, or one
 * `db.transaction(...)`: inside a group SQLite undoes a failed statement, and better-sqlite3 runs a
 * nested transaction as a savepoint it rolls back on failure), with the connection's busy timeout cut to
 * SHORT_WAIT_MS.
 * The write runs at the end of the current event-loop pass, with the other units asked for meanwhile on
 * the same connection (every writer of one connection shares one queue), in the order they were asked
 * for; its promise settles once its group committed (a unit that failed is undone and rejects alone).
 * On SQLITE_BUSY the whole group waits a short jittered pause on the event loop and is tried again, so
 * the process keeps serving meanwhile; a write that has not got the lock within `maxWaitMs` fails with
 * `unavailable` and has written nothing. Every other statement on the connection keeps its busy timeout.
 */
export function nonBlockingWriter(
  db: Database.Database,
  options: NonBlockingWriterOptions,
): NonBlockingWrite {
  let queue = queues.get(db);
  if (!queue) {
    queue = new WriteQueue(db);
    queues.set(db, queue);
  }
  const shared = queue;
  const maxWaitMs = options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS;
  return <T>(write: () => T): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      shared.enqueue({
        write,
        resolve: resolve as (value: unknown) => void,
        reject,
        since: performance.now(),
        maxWaitMs,
        name: options.name,
      });
    });
}

interface Unit {
  write: () => unknown;
  resolve(value: unknown): void;
  reject(err: unknown): void;
  /** When it was asked for (performance.now()). */
  since: number;
  maxWaitMs: number;
  name: string;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** One queue per connection: a group must be one transaction of one connection. */
const queues = new WeakMap<Database.Database, WriteQueue>();

class WriteQueue {
  readonly #db: Database.Database;
  readonly #begin: Database.Statement;
  readonly #commit: Database.Statement;
  readonly #rollback: Database.Statement;
  // exec, not prepared statements: SQLite applies this pragma while preparing it (a kept statement
  // would apply it once, and again whenever SQLite re-prepares it). Once a group: counted with a timing
  // wrapper in a server under load, a pair took about 28 µs.
  readonly #shortWait = `PRAGMA busy_timeout = ${SHORT_WAIT_MS}`;
  readonly #restore: string;
  #pending: Unit[] = [];
  #scheduled = false;
  #retry: NodeJS.Timeout | undefined;
  #pause = FIRST_PAUSE_MS;

  constructor(db: Database.Database) {
    this.#db = db;
    this.#begin = db.prepare('BEGIN IMMEDIATE');
    this.#commit = db.prepare('COMMIT');
    this.#rollback = db.prepare('ROLLBACK');
    this.#restore = `PRAGMA busy_timeout = ${Number(db.pragma('busy_timeout', { simple: true }))}`;
  }

  enqueue(unit: Unit): void {
    this.#pending.push(unit);
    this.#schedule();
  }

  #flush(): void {
    this.#scheduled = false;
    this.#retry = undefined;
    // A group is bounded, so one commit never holds the file's write lock (or this thread) for long.
    const group = this.#pending.splice(0, MAX_GROUP);
    if (group.length === 0) return;
    if (!this.#db.open) {
      for (const unit of [...group, ...this.#pending.splice(0)]) {
        unit.reject(new UnavailableError(`the ${unit.name} is closed`));
      }
      return;
    }
    const outcomes = this.#run(group);
    if (outcomes === 'busy') {
      this.#wait(group);
      return;
    }
    this.#pause = FIRST_PAUSE_MS;
    const again: Unit[] = [];
    group.forEach((unit, i) => {
      const outcome = outcomes[i];
      if (!outcome) again.push(unit);
      else if (outcome.ok) unit.resolve(outcome.value);
      else unit.reject(outcome.error);
    });
    // Nearly always none: no new queue after every group.
    if (again.length > 0) this.#pending.unshift(...again);
    this.#schedule();
  }

  #schedule(): void {
    if (this.#pending.length === 0 || this.#scheduled || this.#retry) return;
    this.#scheduled = true;
    setImmediate(() => this.#flush());
  }

  /**
   * Runs the group: a single unit as it is (its own transaction or autocommit statement), several in one
   * `BEGIN IMMEDIATE` transaction. 'busy' when another connection holds the write lock (nothing written);
   * otherwise one outcome a unit, none for a unit to try again (SQLite gave up the whole transaction).
   */
  #run(group: Unit[]): Array<Outcome | undefined> | 'busy' {
    const db = this.#db;
    db.exec(this.#shortWait);
    try {
      if (group.length === 1) return this.#one(group[0] as Unit);
      try {
        this.#begin.run();
      } catch (err) {
        if (isBusy(err)) return 'busy';
        return group.map(() => ({ ok: false, error: err }));
      }
      const outcomes: Outcome[] = [];
      for (const unit of group) {
        try {
          outcomes.push({ ok: true, value: unit.write() });
        } catch (err) {
          outcomes.push({ ok: false, error: err });
          // Some errors (a full disk, an I/O error) make SQLite roll the whole transaction back: the
          // units before this one no longer stand and those after it have not run. This one fails; the
          // others go round again.
          if (!db.inTransaction) {
            return group.map((_, i) => (i === outcomes.length - 1 ? { ok: false, error: err } : undefined));
          }
        }
      }
      try {
        this.#commit.run();
      } catch (err) {
        if (db.inTransaction) this.#rollback.run();
        if (isBusy(err)) return 'busy';
        return group.map(() => ({ ok: false, error: err }));
      }
      return outcomes;
    } finally {
      if (db.open) db.exec(this.#restore);
    }
  }

  #one(unit: Unit): Outcome[] | 'busy' {
    try {
      return [{ ok: true, value: unit.write() }];
    } catch (err) {
      if (isBusy(err)) return 'busy';
      return [{ ok: false, error: err }];
    }
  }

  /** The lock is taken: units past their wait fail, the rest are tried again after a jittered pause. */
  #wait(group: Unit[]): void {
    const now = performance.now();
    this.#pending = [...group, ...this.#pending].filter((unit) => {
      if (now - unit.since < unit.maxWaitMs) return true;
      unit.reject(new UnavailableError(`the ${unit.name} stayed locked by another process`));
      return false;
    });
    if (this.#pending.length === 0) return;
    const soonest = Math.min(...this.#pending.map((unit) => unit.since + unit.maxWaitMs - now));
    const pause = Math.max(0, Math.min(this.#pause * (0.5 + Math.random()), soonest));
    this.#pause = Math.min(MAX_PAUSE_MS, this.#pause * 2);
    this.#retry = setTimeout(() => this.#flush(), pause);
  }
}
