import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@parley/logger';
import type Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type PrivateRedis, startPrivateRedis } from '../../../tests/support/private-redis.ts';
import { connectTestRedis, type TestRedis } from '../../../tests/support/test-redis.ts';
import { openCoordinationDatabase, RATE_LIMIT_TABLE } from '../coordination/sqlite-coordination.ts';
import { createRedisClient, type RedisConnection } from '../redis/redis-client.ts';
import { RateLimiter, type RateRule } from './rate-limiter.ts';

const logger = createLogger({ name: 'test', level: 'silent', pretty: false });
/** Far above the command timeouts used here: proves "does not hang", not a latency. */
const NO_HANG_MS = 5000;
const rule = (points: number, durationSeconds = 60): RateRule => ({ name: 'turns', points, durationSeconds });
const key = () => `bot:${randomUUID()}`;

async function consumeTimes(limiter: RateLimiter, r: RateRule, k: string, n: number) {
  const decisions = [];
  for (let i = 0; i < n; i++) decisions.push(await limiter.consume(r, k));
  return decisions.map((d) => d.allowed);
}

describe('RateLimiter in memory', () => {
  afterEach(() => vi.useRealTimers());

  it('allows the rule’s points per window, then refuses with the time until the window ends', async () => {
    vi.useFakeTimers({ now: new Date('2026-03-01T12:00:00Z') });
    const limiter = new RateLimiter({ logger });
    const k = key();
    expect(await consumeTimes(limiter, rule(3), k, 3)).toEqual([true, true, true]);
    vi.advanceTimersByTime(20_000);
    const refused = await limiter.consume(rule(3), k);
    expect(refused).toEqual({ allowed: false, retryAfterMs: 40_000, remaining: 0 });
    vi.advanceTimersByTime(40_001);
    expect(await limiter.consume(rule(3), k)).toEqual({ allowed: true, retryAfterMs: 0, remaining: 2 });
  });

  it('counts keys and rules apart', async () => {
    const limiter = new RateLimiter({ logger });
    const [a, b] = [key(), key()];
    expect(await consumeTimes(limiter, rule(1), a, 2)).toEqual([true, false]);
    expect((await limiter.consume(rule(1), b)).allowed).toBe(true);
    expect(
      (await limiter.consume({ name: 'conversations', points: 1, durationSeconds: 60 }, a)).allowed,
    ).toBe(true);
  });

  it('gives a refunded point back', async () => {
    const limiter = new RateLimiter({ logger });
    const k = key();
    await limiter.consume(rule(1), k);
    await limiter.refund(rule(1), k);
    expect((await limiter.consume(rule(1), k)).allowed).toBe(true);
  });
});

describe('RateLimiter on the shared Redis', () => {
  let test: TestRedis;
  beforeAll(async () => {
    test = await connectTestRedis(logger);
  });
  afterAll(() => test.cleanup());

  it('shares one limit between replicas', async () => {
    const replicaA = new RateLimiter({ redis: test.redis, logger });
    const replicaB = new RateLimiter({ redis: test.redis, logger });
    const k = key();
    const allowed = [];
    for (let i = 0; i < 6; i++)
      allowed.push((await (i % 2 ? replicaB : replicaA).consume(rule(4), k)).allowed);
    expect(allowed).toEqual([true, true, true, true, false, false]);
    const refused = await replicaA.consume(rule(4), k);
    expect(refused.retryAfterMs).toBeGreaterThan(55_000);
    expect(refused.retryAfterMs).toBeLessThanOrEqual(60_000);
  });

  it('keeps its counters under the connection’s key prefix with the window as TTL', async () => {
    const limiter = new RateLimiter({ redis: test.redis, logger });
    const k = key();
    await limiter.consume(rule(5, 30), k);
    const keys = await test.redis.client.keys(`${test.prefix}rl:turns:5:30*`);
    expect(keys).toHaveLength(1);
    const ttl = await test.redis.client.pTTL(keys[0] ?? '');
    expect(ttl).toBeGreaterThan(25_000);
  });
});

describe('RateLimiter when Redis fails', () => {
  let server: PrivateRedis;
  let redis: RedisConnection;

  beforeAll(async () => {
    server = await startPrivateRedis();
    redis = createRedisClient({ url: server.url, logger, commandTimeoutMs: 200 });
    await vi.waitFor(() => expect(redis.isReady()).toBe(true), { timeout: NO_HANG_MS });
  });
  afterAll(async () => {
    server.resume();
    await redis.close();
    await server.kill();
  });

  it('answers from memory at once while Redis is down, still limiting', async () => {
    const limiter = new RateLimiter({ redis, logger });
    const k = key();
    expect(await consumeTimes(limiter, rule(2), k, 1)).toEqual([true]);
    await server.kill();
    await vi.waitFor(() => expect(redis.isReady()).toBe(false));
    const started = Date.now();
    expect(await consumeTimes(limiter, rule(2), k, 3)).toEqual([true, true, false]);
    expect(Date.now() - started).toBeLessThan(NO_HANG_MS);
    await server.restart();
    await vi.waitFor(() => expect(redis.isReady()).toBe(true), { timeout: NO_HANG_MS });
    // Back on Redis (restarted empty): the count is shared with another replica again.
    expect(await consumeTimes(limiter, rule(2), k, 2)).toEqual([true, true]);
    expect((await new RateLimiter({ redis, logger }).consume(rule(2), k)).allowed).toBe(false);
  });

  it('falls back after the command timeout when Redis stops answering', async () => {
    await vi.waitFor(() => expect(redis.isReady()).toBe(true), { timeout: NO_HANG_MS });
    const warnings: unknown[] = [];
    const watched = { ...logger, warn: (...args: unknown[]) => void warnings.push(args) } as typeof logger;
    const limiter = new RateLimiter({ redis, logger: watched });
    const k = key();
    server.pause();
    try {
      expect(await consumeTimes(limiter, rule(1), k, 2)).toEqual([true, false]);
      // The 200 ms command deadline let go of the stalled store (one warning; the second is held back).
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatchObject([
        { err: { message: 'rate limit store did not answer within 200 ms' } },
        'rate limits fall back to this process (the shared store failed)',
      ]);
    } finally {
      server.resume();
    }
  });
});

describe('RateLimiter on a SQLite file shared by processes (WORKERS > 1 without Redis)', () => {
  let dir: string;
  const opened: Database.Database[] = [];
  const open = () => {
    const db = openCoordinationDatabase(join(dir, 'coordination.db'));
    opened.push(db);
    return new RateLimiter({ sqlite: { db, table: RATE_LIMIT_TABLE }, logger });
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'parley-rate-'));
  });
  afterAll(async () => {
    for (const db of opened) db.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('counts a key’s points in every process against one limit, and refunds across them', async () => {
    const [a, b] = [open(), open()];
    const k = key();
    const decisions = await Promise.all([a, b, a].map((limiter) => limiter.consume(rule(3), k)));
    expect(decisions.map((d) => d.allowed)).toEqual([true, true, true]);
    await a.refund(rule(3), k);
    expect((await b.consume(rule(3), k)).allowed).toBe(true);
    const refused = await a.consume(rule(3), k);
    expect(refused.allowed).toBe(false);
    expect(refused.retryAfterMs).toBeGreaterThan(50_000);
  });

  it('falls back to this process’s counters when the file cannot be used', async () => {
    const limiter = open();
    opened.at(-1)?.close();
    const k = key();
    expect(await consumeTimes(limiter, rule(2), k, 3)).toEqual([true, true, false]);
  });
});
