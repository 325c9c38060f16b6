import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqlite, retryWhileBusy } from './sqlite-database.ts';

const SRC = join(import.meta.dirname, '..');

// What one server process opens at start on the embedded default: every SQLite file in DATA_DIR.
const OPEN_ALL = (dir: string) => `
import { EmbeddedConversationStore } from ${JSON.stringify(join(SRC, 'conversations/embedded-conversation-store.ts'))};
import { EmbeddedUsageLedger } from ${JSON.stringify(join(SRC, 'policy/embedded-usage-ledger.ts'))};
import { openCoordinationDatabase } from ${JSON.stringify(join(SRC, 'coordination/sqlite-coordination.ts'))};
try {
  await new EmbeddedConversationStore({ path: ${JSON.stringify(join(dir, 'parley.db'))} }).close();
  await new EmbeddedUsageLedger({ path: ${JSON.stringify(join(dir, 'usage.db'))} }).close();
  openCoordinationDatabase(${JSON.stringify(join(dir, 'coordination.db'))}).close();
  process.stdout.write('opened');
} catch (err) {
  process.stdout.write('failed: ' + err.message);
  process.exitCode = 1;
}`;

/**
 * Runs `code` in a separate Node process; resolves with its output and status. Node strips the types of
 * these files itself (no tsx), so a process costs a fraction of a server start.
 */
function runProcess(code: string): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ['--no-warnings', '--input-type=module', '-e', code], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (status) => resolve({ code: status, output }));
  });
}

describe('openSqlite', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'parley-sqlite-open-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('lets several processes open the same fresh files at once: every one starts', async () => {
    // Before the fix one of two processes often died with "duplicate column name: interrupted".
    for (let round = 0; round < 4; round++) {
      const folder = join(dir, `round-${round}`);
      const results = await Promise.all([0, 1, 2, 3, 4].map(() => runProcess(OPEN_ALL(folder))));
      expect(results).toEqual(results.map(() => ({ code: 0, output: 'opened' })));
      const db = new Database(join(folder, 'parley.db'), { readonly: true });
      const columns = db.pragma('table_info(messages)') as Array<{ name: string }>;
      expect(columns.filter((c) => c.name === 'interrupted')).toHaveLength(1);
      db.close();
    }
  });

  it('migrates each version once, in order, and records the version', () => {
    const path = join(dir, 'a.db');
    openSqlite({ path, migrations: ['CREATE TABLE a (x)'], name: 'test database' }).close();
    const db = openSqlite({
      path,
      migrations: ['CREATE TABLE a (x)', 'ALTER TABLE a ADD COLUMN y'],
      name: 'test database',
    });
    expect(db.pragma('user_version', { simple: true })).toBe(2);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('opens an up-to-date file without waiting for another process’s write', () => {
    const path = join(dir, 'b.db');
    openSqlite({ path, migrations: ['CREATE TABLE b (x)'], name: 'test database' }).close();
    const writer = new Database(path);
    writer.exec('BEGIN IMMEDIATE; INSERT INTO b VALUES (1)');
    try {
      const db = openSqlite({
        path,
        migrations: ['CREATE TABLE b (x)'],
        name: 'test database',
        busyTimeoutMs: 1,
      });
      db.close();
    } finally {
      writer.exec('ROLLBACK');
      writer.close();
    }
  });

  it('refuses a file from a newer server, naming it', () => {
    const path = join(dir, 'c.db');
    const db = new Database(path);
    db.pragma('user_version = 5');
    db.close();
    expect(() => openSqlite({ path, migrations: ['CREATE TABLE c (x)'], name: 'test database' })).toThrow(
      /test database has schema version 5, newer than this server's 1/,
    );
  });
});

describe('retryWhileBusy', () => {
  const busy = () => Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });

  it('tries a step SQLite turned away as busy again, until it passes', () => {
    let tries = 0;
    const result = retryWhileBusy(() => {
      if (++tries < 3) throw busy();
      return 'wal';
    }, 1_000);
    expect([result, tries]).toEqual(['wal', 3]);
  });

  it('gives up once its time is over, and never retries another error', () => {
    let tries = 0;
    const began = Date.now();
    expect(() =>
      retryWhileBusy(() => {
        tries++;
        throw busy();
      }, 30),
    ).toThrow('database is locked');
    expect(Date.now() - began).toBeGreaterThanOrEqual(30);
    expect(tries).toBeGreaterThan(1);
    let other = 0;
    expect(() =>
      retryWhileBusy(() => {
        other++;
        throw Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR' });
      }, 1_000),
    ).toThrow('disk I/O error');
    expect(other).toBe(1);
  });
});
