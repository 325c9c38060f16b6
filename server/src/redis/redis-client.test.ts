import { createServer } from 'node:net';
import { createLogger } from '@parley/logger';
import { describe, expect, it } from 'vitest';
import { createRedisClient } from './redis-client.ts';

const logger = createLogger({ name: 'test', level: 'silent', pretty: false });

/** A loopback port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('the first connection attempt', () => {
  it('settles connected when Redis is up, so a starting server serves its first request with Redis', async () => {
    const redis = createRedisClient({ url: 'redis://127.0.0.1:6379', logger });
    try {
      await redis.firstAttempt();
      expect(redis.isReady()).toBe(true);
    } finally {
      await redis.close();
    }
  });

  it('settles (without throwing) when Redis is down: the server still starts and reconnects later', async () => {
    const redis = createRedisClient({ url: `redis://127.0.0.1:${await closedPort()}`, logger });
    try {
      await redis.firstAttempt();
      expect(redis.isReady()).toBe(false);
    } finally {
      await redis.close();
    }
  });
});
