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
});
