import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isAppError } from '../errors/app-error.ts';
import { nonBlockingWriter } from './non-blocking-writer.ts';
import { openSqlite } from './sqlite-database.ts';

const MIGRATIONS = ['CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL)'];

let dir: string;
let holder: Database.Database;
let writer: Database.Database;

// Two connections to one file, as two server processes have: `holder` takes the write lock, `writer`
// meets it. (Connections in one process lock one another as separate processes do.)
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'parley-non-blocking-'));
  const path = join(dir, 'shared.db');
  holder = openSqlite({ path, migrations: MIGRATIONS, name: 'test database' });
  writer = openSqlite({ path, migrations: MIGRATIONS, name: 'test database' });
});

afterEach(async () => {
  if (holder.inTransaction) holder.exec('ROLLBACK');
  holder.close();
  writer.close();
  await rm(dir, { recursive: true, force: true });
});

const notes = (db: Database.Database) => db.prepare('SELECT text FROM notes ORDER BY id').pluck().all();

/** Resolves after one more event-loop iteration's timers: proof that the loop is turning. */
const loopTurned = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('nonBlockingWriter', () => {
  it('writes at once when nobody holds the lock, and keeps the connection’s busy timeout for the rest', async () => {
    const write = nonBlockingWriter(writer, { name: 'test database' });
    const before = writer.pragma('busy_timeout', { simple: true });
    await write(() => writer.prepare('INSERT INTO notes (text) VALUES (?)').run('first'));
    expect(notes(writer)).toEqual(['first']);
    expect(writer.pragma('busy_timeout', { simple: true })).toBe(before);
  });

  it('waits on the event loop while another connection holds the lock, then commits exactly once', async () => {
    const write = nonBlockingWriter(writer, { name: 'test database' });
    holder.exec('BEGIN IMMEDIATE');
    holder.prepare('INSERT INTO notes (text) VALUES (?)').run('holder');
    let settled = false;
    const insert = writer.prepare('INSERT INTO notes (text) VALUES (?)');
    const pending = write(() => insert.run('waiter')).finally(() => (settled = true));
    // The thread is not asleep in SQLite's busy handler: timers run while the write waits.
    for (let i = 0; i < 5; i++) await loopTurned();
    expect(settled).toBe(false);
    holder.exec('COMMIT');
    await pending;
    expect(notes(writer)).toEqual(['holder', 'waiter']);
  });

  it('tries a whole transaction again, so a unit of several statements lands once', async () => {
    const write = nonBlockingWriter(writer, { name: 'test database' });
    const insert = writer.prepare('INSERT INTO notes (text) VALUES (?)');
    const both = writer.transaction(() => {
      insert.run('one');
      insert.run('two');
    }).immediate;
    holder.exec('BEGIN IMMEDIATE');
    const pending = write(() => both());
    await loopTurned();
    holder.exec('COMMIT');
    await pending;
    expect(notes(writer)).toEqual(['one', 'two']);
  });

  it('ends a write that never gets the lock with `unavailable`, having written nothing', async () => {
    const write = nonBlockingWriter(writer, { name: 'test database', maxWaitMs: 40 });
    holder.exec('BEGIN IMMEDIATE');
    holder.prepare('INSERT INTO notes (text) VALUES (?)').run('holder');
    const err = await write(() => writer.prepare('INSERT INTO notes (text) VALUES (?)').run('lost?')).catch(
      (e: unknown) => e,
    );
    expect(isAppError(err) && err.code).toBe('unavailable');
    expect((err as Error).message).toContain('test database');
    holder.exec('COMMIT');
    expect(notes(writer)).toEqual(['holder']);
  });

  it('passes any other error on at once', async () => {
    const write = nonBlockingWriter(writer, { name: 'test database' });
    await expect(write(() => writer.prepare('INSERT INTO nowhere VALUES (1)').run())).rejects.toThrow(
      /no such table/,
    );
  });

  it('commits the writes asked for in one pass of the event loop together, in the order asked', async () => {
    const write = nonBlockingWriter(writer, { name: 'test database' });
    const insert = writer.prepare('INSERT INTO notes (text) VALUES (?)');
    const inGroup: boolean[] = [];
    const unit = (text: string) => () => {
      inGroup.push(writer.inTransaction);
      return insert.run(text).lastInsertRowid;
    };
    const ids = await Promise.all([write(unit('a')), write(unit('b')), write(unit('c'))]);
    expect(notes(writer)).toEqual(['a', 'b', 'c']);
    expect(ids).toEqual([1, 2, 3]);
    // One transaction around the three (a lone write is its own autocommit statement).
    expect(inGroup).toEqual([true, true, true]);
    await write(unit('d'));
    expect(inGroup.at(-1)).toBe(false);
  });

  it('undoes and rejects only the unit that failed in a group', async () => {
    const write = nonBlockingWriter(writer, { name: 'test database' });
    const insert = writer.prepare('INSERT INTO notes (text) VALUES (?)');
    const twoThenFail = writer.transaction(() => {
      insert.run('half');
      throw new Error('changed my mind');
    });
    const results = await Promise.allSettled([
      write(() => insert.run('kept 1')),
      write(() => twoThenFail()),
      write(() => writer.prepare('INSERT INTO nowhere VALUES (1)').run()),
      write(() => insert.run('kept 2')),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    expect(notes(writer)).toEqual(['kept 1', 'kept 2']);
  });

  it('tries the rest of a group again when SQLite gave up the whole transaction', async () => {
    const write = nonBlockingWriter(writer, { name: 'test database' });
    const insert = writer.prepare('INSERT INTO notes (text) VALUES (?)');
    const results = await Promise.allSettled([
      write(() => insert.run('before')),
      write(() => {
        // What SQLite does on a full disk or an I/O error: the whole transaction is gone.
        writer.exec('ROLLBACK');
        throw new Error('disk I/O error');
      }),
      write(() => insert.run('after')),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(notes(writer)).toEqual(['before', 'after']);
  });

  it('waits for the lock with the whole group and commits it once', async () => {
    const write = nonBlockingWriter(writer, { name: 'test database' });
    const other = nonBlockingWriter(writer, { name: 'test database' });
    const insert = writer.prepare('INSERT INTO notes (text) VALUES (?)');
    holder.exec('BEGIN IMMEDIATE');
    holder.prepare('INSERT INTO notes (text) VALUES (?)').run('holder');
    const pending = Promise.all([write(() => insert.run('one')), other(() => insert.run('two'))]);
    for (let i = 0; i < 5; i++) await loopTurned();
    expect(notes(writer)).toEqual([]);
    holder.exec('COMMIT');
    await pending;
    expect(notes(writer)).toEqual(['holder', 'one', 'two']);
  });

  it('fails the writes still waiting when the database was closed', async () => {
    const write = nonBlockingWriter(writer, { name: 'test database' });
    const pending = write(() => writer.prepare('INSERT INTO notes (text) VALUES (?)').run('late'));
    writer.close();
    const err = await pending.catch((e: unknown) => e);
    expect(isAppError(err) && err.code).toBe('unavailable');
    writer = openSqlite({ path: join(dir, 'shared.db'), migrations: MIGRATIONS, name: 'test database' });
    expect(notes(writer)).toEqual([]);
  });

  it('splits a long queue into bounded groups, every write landing once and in order', async () => {
    const write = nonBlockingWriter(writer, { name: 'test database' });
    const insert = writer.prepare('INSERT INTO notes (text) VALUES (?)');
    // Another connection sees only what was committed: the same count throughout one group.
    const committed = holder.prepare('SELECT COUNT(*) FROM notes').pluck();
    const seen = new Set<unknown>();
    const texts = Array.from({ length: 300 }, (_, i) => `n${i}`);
    await Promise.all(
      texts.map((text) =>
        write(() => {
          seen.add(committed.get());
          return insert.run(text);
        }),
      ),
    );
    expect(notes(writer)).toEqual(texts);
    expect([...seen]).toEqual([0, 128, 256]);
  });
});
