import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '@parley/logger';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IdempotencyBegin, IdempotencyStore } from './idempotency-store.ts';
import { MemoryIdempotencyStore } from './memory-idempotency-store.ts';
import type { RedisCommands } from './redis-commands.ts';
import { RedisIdempotencyStore } from './redis-idempotency-store.ts';
import { RedisLock } from './redis-lock.ts';

// Real Redis on these machines; every key of this run lives under a unique prefix and is removed after.
const prefix = `parley-test:${randomUUID()}:`;
const logger = createLogger({ name: 'test', level: 'silent', pretty: false });
const client = createClient({ url: process.env.REDIS_TEST_URL ?? 'redis://127.0.0.1:6379' });
const redis = client as unknown as RedisCommands;

beforeAll(async () => {
  await client.connect();
});
afterAll(async () => {
  for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 100 })) {
    if (keys.length > 0) await client.del(keys);
  }
  client.destroy();
});

describe('RedisLock', () => {
  it('excludes holders across lock instances, as replicas would', async () => {
    const replicas = [0, 1, 2].map(() => new RedisLock({ redis, logger, keyPrefix: prefix }));
    let inside = 0;
    let overlaps = 0;
    await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        replicas[i % 3]?.run('conversation:1', async () => {
          inside++;
          if (inside > 1) overlaps++;
          await sleep(2);
          inside--;
        }),
      ),
    );
    expect(overlaps).toBe(0);
    expect(await client.exists(`${prefix}lock:conversation:1`)).toBe(0);
  });

  it('takes over a lock whose holder died once its lease expires', async () => {
    await client.set(`${prefix}lock:dead`, 'someone-else', { PX: 150 });
    const lock = new RedisLock({ redis, logger, keyPrefix: prefix, leaseMs: 1_000 });
    expect(await lock.run('dead', async () => 'mine')).toBe('mine');
  });

  it('gives up with aborted when the lock stays busy past the wait', async () => {
    await client.set(`${prefix}lock:busy`, 'someone-else', { PX: 5_000 });
    const lock = new RedisLock({ redis, logger, keyPrefix: prefix, waitMs: 100 });
    await expect(lock.run('busy', async () => 'never')).rejects.toMatchObject({ code: 'aborted' });
  });

  it('keeps its lease alive while the holder works', async () => {
    const lock = new RedisLock({ redis, logger, keyPrefix: prefix, leaseMs: 150 });
    const other = new RedisLock({ redis, logger, keyPrefix: prefix, leaseMs: 150, waitMs: 50 });
    await lock.run('long', async () => {
      await sleep(400);
      await expect(other.run('long', async () => 'stolen')).rejects.toMatchObject({ code: 'aborted' });
    });
  });
});

describe.each([
  {
    name: 'RedisIdempotencyStore',
    make: (leaseMs?: number) => new RedisIdempotencyStore({ redis, keyPrefix: prefix, leaseMs }),
  },
  { name: 'MemoryIdempotencyStore', make: (leaseMs?: number) => new MemoryIdempotencyStore({ leaseMs }) },
])('$name', ({ make }) => {
  it('claims a key once, reports it running, then returns the stored response', async () => {
    const store = make();
    const key = randomUUID();
    expect(await store.begin(key)).toEqual({ status: 'started', retryOfFailure: false });
    expect(await store.begin(key)).toEqual({ status: 'running' });
    await store.complete(key, '{"ok":true}');
    expect(await store.begin(key)).toEqual({ status: 'done', response: '{"ok":true}' });
  });

  it('lets a retry run again after a failure, saying so', async () => {
    const store = make();
    const key = randomUUID();
    await store.begin(key);
    await store.fail(key);
    expect(await store.begin(key)).toEqual({ status: 'started', retryOfFailure: true });
  });

  it('counts a claim nobody renewed past its lease (its holder died) as a failed run: a retry runs again', async () => {
    const store = make(150);
    const key = randomUUID();
    await store.begin(key);
    const claims = await claimsUntilFree(store, key);
    expect(claims.at(0)).toEqual({ status: 'running' });
    expect(claims.at(-1)).toEqual({ status: 'started', retryOfFailure: true });
  });

  it('keeps a claim its holder renews running past its first lease', async () => {
    const store = make(400);
    const key = randomUUID();
    const claimedAt = Date.now();
    await store.begin(key);
    while (Date.now() - claimedAt < 1_200) {
      await store.renew(key);
      expect(await store.begin(key)).toEqual({ status: 'running' });
      await sleep(40);
    }
    // Renewing a finished call changes nothing.
    await store.complete(key, '{"ok":true}');
    await store.renew(key);
    expect(await store.begin(key)).toEqual({ status: 'done', response: '{"ok":true}' });
  });
});

/** Claims `key` until the store lets this caller run it (its lease lapsed): every answer, in order. */
async function claimsUntilFree(store: IdempotencyStore, key: string): Promise<IdempotencyBegin[]> {
  const claims: IdempotencyBegin[] = [];
  for (;;) {
    const claim = await store.begin(key);
    claims.push(claim);
    if (claim.status !== 'running') return claims;
    await sleep(20);
  }
}
