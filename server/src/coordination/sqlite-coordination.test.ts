import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '@parley/logger';
import type Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteSessionStore } from '../sessions/sqlite-session-store.ts';
import { openCoordinationDatabase, sweepExpired } from './sqlite-coordination.ts';
import { SqliteIdempotencyStore } from './sqlite-idempotency-store.ts';
import { SqliteLock } from './sqlite-lock.ts';

// Each connection stands for one server process: SQLite locks a file the same way across connections
// as across processes. (Real processes: tests/integration/workers.test.ts.)
const logger = createLogger({ name: 'test', level: 'silent', pretty: false });
let dir: string;
let processes: Database.Database[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'parley-coordination-'));
  const path = join(dir, 'coordination.db');
  processes = [0, 1, 2].map(() => openCoordinationDatabase(path));
});
afterAll(async () => {
  for (const db of processes) db.close();
  await rm(dir, { recursive: true, force: true });
});

const db = (i: number) => processes[i] as Database.Database;

describe('SqliteLock', () => {
  it('excludes holders across processes sharing the file', async () => {
    const locks = [0, 1, 2].map((i) => new SqliteLock({ db: db(i), logger }));
    let inside = 0;
    let overlaps = 0;
    await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        locks[i % 3]?.run('conversation:1', async () => {
          inside++;
          if (inside > 1) overlaps++;
          await sleep(1);
          inside--;
        }),
      ),
    );
    expect(overlaps).toBe(0);
    expect(db(0).prepare('SELECT count(*) AS n FROM locks').get()).toEqual({ n: 0 });
  });

  it('takes over a lock whose holder died once its lease expires', async () => {
    db(1)
      .prepare('INSERT INTO locks VALUES (?, ?, ?)')
      .run('dead', 'someone-else', Date.now() + 100);
    const lock = new SqliteLock({ db: db(0), logger, leaseMs: 1_000 });
    expect(await lock.run('dead', async () => 'mine')).toBe('mine');
  });

  it('keeps its lease alive while the holder works, and gives up with aborted past the wait', async () => {
    const holder = new SqliteLock({ db: db(0), logger, leaseMs: 150 });
    const other = new SqliteLock({ db: db(1), logger, leaseMs: 150, waitMs: 50 });
    await holder.run('long', async () => {
      await sleep(400);
      await expect(other.run('long', async () => 'stolen')).rejects.toMatchObject({ code: 'aborted' });
    });
    expect(await other.run('long', async () => 'free again')).toBe('free again');
  });
});

describe('SqliteIdempotencyStore', () => {
  it('lets exactly one process claim a key; the others see it running, then done', async () => {
    const stores = [0, 1, 2].map((i) => new SqliteIdempotencyStore(db(i)));
    const key = randomUUID();
    const begins = await Promise.all(stores.map((s) => s.begin(key)));
    expect(begins.filter((b) => b.status === 'started')).toHaveLength(1);
    expect(begins.filter((b) => b.status === 'running')).toHaveLength(2);
    await stores[0]?.complete(key, '{"ok":true}');
    expect(await stores[2]?.begin(key)).toEqual({ status: 'done', response: '{"ok":true}' });
  });

  it('lets a retry run again after a failure, saying so', async () => {
    const [a, b] = [new SqliteIdempotencyStore(db(0)), new SqliteIdempotencyStore(db(1))];
    const key = randomUUID();
    await a.begin(key);
    await a.fail(key);
    expect(await b.begin(key)).toEqual({ status: 'started', retryOfFailure: true });
  });

  it('counts a claim its process stopped renewing as a failed run once its lease lapsed; a renewed one runs on', async () => {
    const a = new SqliteIdempotencyStore(db(0), { leaseMs: 400 });
    const b = new SqliteIdempotencyStore(db(1), { leaseMs: 400 });
    const [died, lives] = [randomUUID(), randomUUID()];
    const claimedAt = Date.now();
    await a.begin(died);
    await a.begin(lives);
    expect(await b.begin(died)).toEqual({ status: 'running' });
    // Only `lives` is renewed; `died`'s claim lapses meanwhile.
    let claim = await b.begin(died);
    while (claim.status === 'running') {
      await a.renew(lives);
      expect(await b.begin(lives)).toEqual({ status: 'running' });
      await sleep(40);
      claim = await b.begin(died);
    }
    expect(claim).toEqual({ status: 'started', retryOfFailure: true });
    expect(Date.now() - claimedAt).toBeGreaterThanOrEqual(400);
    expect(await b.begin(lives)).toEqual({ status: 'running' });
  });
});

describe('SqliteIdempotencyStore on a file written before claims had leases', () => {
  it('keeps such a running claim running until it expires, as before', async () => {
    const key = randomUUID();
    db(0)
      .prepare('INSERT INTO idempotency (key, state, response, expires_at) VALUES (?, ?, ?, ?)')
      .run(key, 'running', '', Date.now() + 60_000);
    expect(await new SqliteIdempotencyStore(db(1), { leaseMs: 1 }).begin(key)).toEqual({ status: 'running' });
  });
});

describe('a process meeting another one’s write lock on the file', () => {
  it('claims, binds and takes its lock once the other commits, the event loop running meanwhile', async () => {
    const idempotency = new SqliteIdempotencyStore(db(0));
    const sessions = new SqliteSessionStore(db(0));
    const lock = new SqliteLock({ db: db(0), logger });
    const key = `busy-${randomUUID()}`;
    db(1).exec('BEGIN IMMEDIATE');
    let settled = false;
    const work = Promise.all([
      idempotency.begin(key),
      sessions.set(key, 'c-1', 60),
      lock.run(key, async () => 'locked'),
    ]).finally(() => (settled = true));
    // Timers run while the writes wait (nothing sleeps in SQLite's busy handler).
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setTimeout(resolve, 0));
    expect(settled).toBe(false);
    db(1).exec('COMMIT');
    const [claim, , locked] = await work;
    expect(claim).toEqual({ status: 'started', retryOfFailure: false });
    expect(locked).toBe('locked');
    expect(await new SqliteSessionStore(db(2)).get(key, 60)).toBe('c-1');
    expect(await new SqliteIdempotencyStore(db(2)).begin(key)).toEqual({ status: 'running' });
  });
});

describe('SqliteSessionStore', () => {
  it('binds a chat in one process and reads it in another; rebinding and deleting are seen too', async () => {
    const [a, b] = [new SqliteSessionStore(db(0)), new SqliteSessionStore(db(1))];
    await a.set('telegram:1', 'conversation-1', 60);
    expect(await b.get('telegram:1', 60)).toBe('conversation-1');
    await b.set('telegram:1', 'conversation-2', 60);
    expect(await a.get('telegram:1', 60)).toBe('conversation-2');
    await a.delete('telegram:1');
    expect(await b.get('telegram:1', 60)).toBeNull();
  });

  it('expires a binding after its TTL and slides the TTL on every read', async () => {
    const store = new SqliteSessionStore(db(0));
    const expiresAt = () =>
      (
        db(1).prepare('SELECT expires_at FROM sessions WHERE key = ?').get('telegram:2') as {
          expires_at: number;
        }
      ).expires_at;
    await store.set('telegram:2', 'conversation-2', 60);
    const first = expiresAt();
    expect(await store.get('telegram:2', 600)).toBe('conversation-2');
    expect(expiresAt()).toBeGreaterThan(first + 500_000);
    db(1)
      .prepare('UPDATE sessions SET expires_at = ? WHERE key = ?')
      .run(Date.now() - 1, 'telegram:2');
    expect(await store.get('telegram:2', 600)).toBeNull();
    sweepExpired(db(2));
    expect(db(0).prepare('SELECT count(*) AS n FROM sessions WHERE key = ?').get('telegram:2')).toEqual({
      n: 0,
    });
  });
});

describe('sweepExpired', () => {
  it('deletes expired rows in bounded batches, found by index, and keeps live ones', () => {
    const now = Date.now();
    const insert = db(0).prepare(
      'INSERT INTO idempotency (key, state, response, expires_at) VALUES (?, ?, ?, ?)',
    );
    db(0).transaction(() => {
      for (let i = 0; i < 2_500; i++) insert.run(`sweep-old-${i}`, 'done', '{}', now - 1);
      for (let i = 0; i < 10; i++) insert.run(`sweep-live-${i}`, 'done', '{}', now + 60_000);
    })();
    const count = (pattern: string) =>
      (db(1).prepare('SELECT count(*) AS n FROM idempotency WHERE key LIKE ?').get(pattern) as { n: number })
        .n;
    expect(sweepExpired(db(1), now)).toBeGreaterThanOrEqual(2_000);
    expect(count('sweep-old-%')).toBe(500);
    sweepExpired(db(2), now);
    expect([count('sweep-old-%'), count('sweep-live-%')]).toEqual([0, 10]);
    const plan = db(0)
      .prepare('EXPLAIN QUERY PLAN SELECT key FROM idempotency WHERE expires_at <= ? LIMIT 10')
      .all(now) as Array<{ detail: string }>;
    expect(plan.map((p) => p.detail).join(' ')).toContain('idempotency_by_expiry');
  });
});
