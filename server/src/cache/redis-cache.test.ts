import { createLogger } from '@parley/logger';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectTestRedis, type TestRedis } from '../../../tests/support/test-redis.ts';
import { createRedisClient, type RedisConnection } from '../redis/redis-client.ts';
import { RedisCache } from './redis-cache.ts';

const logger = createLogger({ name: 'test', level: 'silent', pretty: false });

describe('RedisCache on the shared Redis', () => {
  let testRedis: TestRedis;
  let redis: RedisConnection;
  let prefix: string;
  let now = Date.parse('2026-01-15T12:00:00Z');
  let cache: RedisCache;

  beforeAll(async () => {
    testRedis = await connectTestRedis(logger);
    ({ redis, prefix } = testRedis);
    cache = new RedisCache({ redis, logger, clock: () => new Date(now) });
  });

  afterAll(() => testRedis.cleanup());

  it('stores the value with its write time under the prefix, with SET EX', async () => {
    await cache.set('weather:abc', '{"t":1}', 3600);
    expect(await cache.get('weather:abc')).toEqual({ value: '{"t":1}', storedAt: now });
    expect(JSON.parse((await redis.client.get(`${prefix}cache:weather:abc`)) ?? '')).toEqual({
      v: '{"t":1}',
      t: now,
    });
    const ttl = await redis.client.ttl(`${prefix}cache:weather:abc`);
    expect(ttl).toBeGreaterThan(3590);
    expect(ttl).toBeLessThanOrEqual(3600);
  });

  it('keeps the first write time of an entry until it is rewritten', async () => {
    await cache.set('holidays:x', 'a', 60);
    const first = now;
    now += 5000;
    expect(await cache.get('holidays:x')).toMatchObject({ storedAt: first });
    await cache.set('holidays:x', 'b', 60);
    expect(await cache.get('holidays:x')).toEqual({ value: 'b', storedAt: now });
  });

  it('reads a missing key or a foreign value as a miss', async () => {
    expect(await cache.get('nothing-here')).toBeNull();
    await redis.client.set(`${prefix}cache:foreign`, 'not json');
    expect(await cache.get('foreign')).toBeNull();
  });

  it('never throws when Redis is unreachable: reads miss, writes are skipped', async () => {
    const offline = createRedisClient({ url: 'redis://127.0.0.1:1', logger });
    try {
      const broken = new RedisCache({ redis: offline, logger });
      await expect(broken.set('k', 'v', 60)).resolves.toBeUndefined();
      await expect(broken.get('k')).resolves.toBeNull();
    } finally {
      await offline.close();
    }
  });
});
