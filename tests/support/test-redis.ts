import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@parley/logger';
import { createRedisClient, type RedisConnection } from '../../server/src/redis/redis-client.ts';

/** A connection to the real Redis on these machines whose keys all live under a prefix unique to the run. */
export interface TestRedis {
  redis: RedisConnection;
  prefix: string;
  /** Deletes this run's keys (never anything else: no FLUSHALL) and closes the connection. */
  cleanup(): Promise<void>;
}

export async function connectTestRedis(logger: Logger, url = 'redis://127.0.0.1:6379'): Promise<TestRedis> {
  const prefix = `parley-test:${randomUUID()}:`;
  const redis = createRedisClient({ url, logger, keyPrefix: prefix });
  await waitUntil(() => redis.isReady());
  return {
    redis,
    prefix,
    async cleanup() {
      const keys: string[] = [];
      for await (const batch of redis.client.scanIterator({ MATCH: `${prefix}*`, COUNT: 100 }))
        keys.push(...batch);
      if (keys.length > 0) await redis.client.del(keys);
      await redis.close();
    },
  };
}

async function waitUntil(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error('timed out waiting for Redis');
    await sleep(10);
  }
}
