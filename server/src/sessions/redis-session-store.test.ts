import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '@parley/logger';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, type PrivateRedis, startPrivateRedis } from '../../../tests/support/private-redis.ts';
import { createRedisClient, type RedisConnection } from '../redis/redis-client.ts';
import { RedisSessionStore } from './redis-session-store.ts';

const logger = createLogger({ name: 'test', level: 'silent', pretty: false });
/** Far above the command timeouts used here: proves "does not hang", not a latency. */
const NO_HANG_MS = 5000;

describe('RedisSessionStore on the shared Redis', () => {
  // A prefix per run keeps this test's keys apart from everything else on the shared instance.
  const prefix = `parley-test:${randomUUID()}:`;
  let redis: RedisConnection;
  let store: RedisSessionStore;
  const ttl = (key: string) => redis.client.ttl(`${prefix}session:${key}`);

  beforeAll(async () => {
    redis = createRedisClient({ url: 'redis://127.0.0.1:6379', logger, keyPrefix: prefix });
    await waitFor(() => redis.isReady());
    store = new RedisSessionStore({ redis });
  });

  afterAll(async () => {
    const keys: string[] = [];
    for await (const batch of redis.client.scanIterator({ MATCH: `${prefix}*`, COUNT: 100 }))
      keys.push(...batch);
    if (keys.length > 0) await redis.client.del(keys);
    await redis.close();
  });

  it('binds a chat and reads the binding back under its prefix', async () => {
    await store.set('telegram:1', 'conversation-1', 60);
    expect(await store.get('telegram:1', 60)).toBe('conversation-1');
    expect(await redis.client.get(`${prefix}session:telegram:1`)).toBe('conversation-1');
    expect(await ttl('telegram:1')).toBeGreaterThan(55);
  });

  it('returns null for a chat without a session', async () => {
    expect(await store.get('telegram:unknown', 60)).toBeNull();
  });

  it('slides the TTL on every read', async () => {
    await store.set('telegram:2', 'conversation-2', 60);
    await redis.client.expire(`${prefix}session:telegram:2`, 5);
    expect(await ttl('telegram:2')).toBeLessThanOrEqual(5);
    expect(await store.get('telegram:2', 1800)).toBe('conversation-2');
    expect(await ttl('telegram:2')).toBeGreaterThan(1790);
  });

  it('rebinds a chat to another conversation with a fresh TTL', async () => {
    await store.set('telegram:3', 'old', 10);
    await store.set('telegram:3', 'new', 600);
    expect(await store.get('telegram:3', 600)).toBe('new');
    expect(await ttl('telegram:3')).toBeGreaterThan(590);
  });

  it('deletes a binding', async () => {
    await store.set('telegram:4', 'conversation-4', 60);
    await store.delete('telegram:4');
    expect(await store.get('telegram:4', 60)).toBeNull();
    await expect(store.delete('telegram:4')).resolves.toBeUndefined();
  });

  it('forgets a binding once its TTL has passed', async () => {
    await store.set('telegram:5', 'conversation-5', 1);
    await sleep(1100);
    expect(await store.get('telegram:5', 60)).toBeNull();
  });

  it('answers a ping and leaves the shared connection open on close', async () => {
    await expect(store.ping()).resolves.toBeUndefined();
    await store.close();
    expect(redis.isReady()).toBe(true);
    await expect(redis.ping()).resolves.toBeUndefined();
  });
});

describe('RedisSessionStore when Redis fails', () => {
  let server: PrivateRedis;
  let redis: RedisConnection;
  let store: RedisSessionStore;

  beforeAll(async () => {
    server = await startPrivateRedis();
    redis = createRedisClient({
      url: server.url,
      logger,
      commandTimeoutMs: 300,
      maxReconnectDelayMs: 200,
    });
    await waitFor(() => redis.isReady());
    store = new RedisSessionStore({ redis });
  });

  afterAll(async () => {
    await redis?.close();
    server?.resume();
    await server?.kill();
  });

  it('starts without a reachable Redis and fails fast until it can connect', async () => {
    const offline = createRedisClient({ url: `redis://127.0.0.1:${await freePort()}`, logger });
    try {
      expect(offline.isReady()).toBe(false);
      // 'not connected': refused at once, not queued until a connection that never comes.
      await expectEveryCallRejects(new RedisSessionStore({ redis: offline }), 'Redis is not connected');
    } finally {
      await offline.close();
    }
  });

  it('times out a command that Redis accepts but never answers', async () => {
    await store.set('telegram:stalled', 'conversation-x', 60);
    server.pause();
    try {
      // The 300 ms command deadline answered, not a longer one.
      await expect(store.get('telegram:stalled', 60)).rejects.toMatchObject({
        code: 'unavailable',
        message: 'Redis did not answer within 300 ms',
      });
    } finally {
      server.resume();
    }
    // Redis answers in order, so the late reply to the abandoned GETEX does not confuse the next command.
    expect(await store.get('telegram:stalled', 60)).toBe('conversation-x');
  });
});

async function expectEveryCallRejects(store: RedisSessionStore, message: string): Promise<void> {
  const calls: [string, () => Promise<unknown>][] = [
    ['get', () => store.get('telegram:500', 60)],
    ['set', () => store.set('telegram:500', 'conversation-y', 60)],
    ['delete', () => store.delete('telegram:500')],
    ['ping', () => store.ping()],
  ];
  for (const [name, call] of calls) {
    await expect(call(), name).rejects.toMatchObject({ code: 'unavailable', message });
  }
}

async function waitFor(condition: () => boolean, timeoutMs = NO_HANG_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(20);
  }
}
