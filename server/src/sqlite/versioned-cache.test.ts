import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqlite } from './sqlite-database.ts';
import { VersionedCache } from './versioned-cache.ts';

const MIGRATIONS = ['CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)'];

describe('VersionedCache', () => {
  let dir: string;
  let db: Database.Database;
  // Another connection to the same file: what another server process sharing it (WORKERS > 1) is.
  let other: Database.Database;
  let reads: number;
  let cache: VersionedCache<string | null>;
  const read = (key: string) =>
    cache.get(key, () => {
      reads++;
      return (
        db.prepare<[string], string>('SELECT value FROM settings WHERE key = ?').pluck().get(key) ?? null
      );
    });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'parley-versioned-cache-'));
    db = openSqlite({ path: join(dir, 'cache.db'), migrations: MIGRATIONS, name: 'test database' });
    other = new Database(join(dir, 'cache.db'));
    reads = 0;
    cache = new VersionedCache(db, { maxEntries: 3 });
  });
  afterEach(async () => {
    db.close();
    other.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('answers again from memory while nothing is committed', () => {
    db.prepare("INSERT INTO settings VALUES ('a', 'one')").run();
    expect([read('a'), read('a'), read('b'), read('b')]).toEqual(['one', 'one', null, null]);
    expect(reads).toBe(2);
  });

  it('reads again once another connection to the file has committed', () => {
    expect(read('a')).toBeNull();
    other.prepare("INSERT INTO settings VALUES ('a', 'theirs')").run();
    expect(read('a')).toBe('theirs');
    expect(reads).toBe(2);
  });

  it('reads again after clear (the owner wrote through its own connection)', () => {
    expect(read('a')).toBeNull();
    db.prepare("INSERT INTO settings VALUES ('a', 'ours')").run();
    cache.clear();
    expect(read('a')).toBe('ours');
  });

  it('keeps at most maxEntries answers', () => {
    for (const key of ['a', 'b', 'c', 'd', 'a']) read(key);
    expect(reads).toBe(5);
  });
});
