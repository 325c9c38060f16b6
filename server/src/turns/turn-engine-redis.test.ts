import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createLogger } from '@parley/logger';
import { createClient } from 'redis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startPrivateRedis } from '../../../tests/support/private-redis.ts';
import type { IdempotencyStore } from '../coordination/idempotency-store.ts';
import { MemoryIdempotencyStore } from '../coordination/memory-idempotency-store.ts';
import { RedisTurnRelay } from '../coordination/redis-turn-relay.ts';
import { createRedisClient, type RedisConnection } from '../redis/redis-client.ts';
import { Idempotency, keyOf } from './idempotency.ts';
import { done, heldCall, started, whole } from './testing/held-call.ts';
import { type TurnCall, TurnEngine } from './turn-engine.ts';
import { encodeRecord, type TurnEvent } from './turn-event.ts';

// Two replicas' engines in one process, each with its own Redis connections and relay (as two servers
// would have), on the real Redis under a key prefix of this run; the idempotency store is shared.
const url = process.env.REDIS_TEST_URL ?? 'redis://127.0.0.1:6379';
const prefix = `parley-test:${randomUUID()}:`;
const logger = createLogger({ name: 'test', level: 'silent', pretty: false });
const admin = createClient({ url });
const opened: Array<{ relay: RedisTurnRelay; redis: RedisConnection }> = [];

beforeAll(async () => {
  await admin.connect();
});
afterEach(async () => {
  for (const { relay, redis } of opened.splice(0)) {
    relay.close();
    await redis.close();
  }
});
afterAll(async () => {
  for await (const keys of admin.scanIterator({ MATCH: `${prefix}*`, COUNT: 100 })) {
    if (keys.length > 0) await admin.del(keys);
  }
  admin.destroy();
});

/**
 * A replica on `redisUrl`. `askMs` far beyond the test's timeout: a follow that ends in time ended on
 * the replicas' answers, not on that bound.
 */
async function replica(
  idempotency: Idempotency,
  keyPrefix: string,
  redisUrl = url,
  askMs = 60_000,
  quietAskMs?: number,
) {
  const redis = createRedisClient({ url: redisUrl, logger, keyPrefix });
  await redis.firstAttempt();
  const relay = new RedisTurnRelay({ redis, logger, keyPrefix, askMs, quietAskMs });
  opened.push({ relay, redis });
  const engine = new TurnEngine({ idempotency, relay, logger, graceMs: 5_000, turnTimeoutMs: 60_000 });
  return { relay, engine, redis };
}

async function pair() {
  const keyPrefix = `${prefix}${randomUUID()}:`;
  const store = new MemoryIdempotencyStore();
  const idempotency = new Idempotency({ store, waitMs: 5_000 });
  return {
    a: await replica(idempotency, keyPrefix),
    b: await replica(idempotency, keyPrefix),
    store,
    keyPrefix,
  };
}

async function keysUnder(keyPrefix: string): Promise<string[]> {
  const found: string[] = [];
  for await (const keys of admin.scanIterator({ MATCH: `${keyPrefix}*`, COUNT: 100 })) found.push(...keys);
  return found;
}

/** Polls an observed condition (Redis state, events received) until it holds. */
async function until(done: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await done())) await new Promise((resolve) => setTimeout(resolve, 5));
}

function listen(engine: TurnEngine, call: TurnCall, signal = new AbortController().signal) {
  const events: TurnEvent[] = [];
  const joined = engine.join(call, { transport: 'sse', signal, onEvent: (e) => events.push(e) });
  return { events, joined };
}

describe('TurnEngine across replicas sharing Redis (RedisTurnRelay)', () => {
  it('writes nothing to Redis for a turn nobody follows elsewhere, even when its client re-asks here', async () => {
    const { a, keyPrefix } = await pair();
    const turn = heldCall(logger, 'quiet');
    const client = new AbortController();
    const first = listen(a.engine, turn.call, client.signal);
    await until(() => first.events.length === 2);
    client.abort();
    await first.joined;
    // The same request again on the same replica: re-attached in memory, no follow through Redis.
    const again = listen(a.engine, turn.call);
    turn.release();
    await again.joined;
    await a.engine.drain();
    expect(again.events).toEqual(whole);
    expect(turn.runs()).toBe(1);
    expect(await keysUnder(keyPrefix)).toEqual([]);
  });

  it('writes a turn out once a follower on the other replica asks: the events so far, then the rest live', async () => {
    const { a, b, keyPrefix } = await pair();
    const turn = heldCall(logger, 'followed');
    const onA = listen(a.engine, turn.call);
    await until(() => onA.events.length === 2);
    const onB = listen(b.engine, turn.call);
    await until(() => onB.events.length === 2);
    expect(onB.events).toEqual(whole.slice(0, 2));
    turn.release();
    await Promise.all([onA.joined, onB.joined]);
    await a.engine.drain();
    expect(onA.events).toEqual(whole);
    expect(onB.events).toEqual(whole);
    expect(turn.runs()).toBe(1);
    const stream = `${keyPrefix}turn:${keyOf(turn.call.key)}:`;
    expect((await keysUnder(keyPrefix)).filter((k) => k.startsWith(stream))).toHaveLength(1);
  });

  it('follows a retry after a failed run that was followed: its own events, none of the failed run', async () => {
    const { a, b } = await pair();
    const failing = heldCall(logger, 'retried');
    const failed: TurnCall = {
      ...failing.call,
      run: async (scope) => {
        scope.emit(started);
        scope.emit({ type: 'delta', text: 'one ' });
        await new Promise<void>((resolve) => (failing.release = resolve));
        throw new Error('the model failed');
      },
    };
    const onA = listen(a.engine, failed);
    await until(() => onA.events.length === 2);
    const onB = listen(b.engine, failed);
    await until(() => onB.events.length === 2);
    failing.release();
    await Promise.all([onA.joined, onB.joined]);
    await a.engine.drain();
    expect(onB.events.at(-1)?.type).toBe('error');
    // The same request_id again: it runs again (the first run failed), and B follows this run.
    const retry = heldCall(logger, 'retried');
    const onA2 = listen(a.engine, retry.call);
    await until(() => onA2.events.length === 2);
    const onB2 = listen(b.engine, retry.call);
    await until(() => onB2.events.length === 2);
    retry.release();
    await Promise.all([onA2.joined, onB2.joined]);
    expect(onB2.events).toEqual(whole);
  });

  it('answers from the record when every replica says the turn does not run there', async () => {
    const { a, b, store, keyPrefix } = await pair();
    // A listens for questions (it offers a turn of its own) before B asks.
    const other = a.relay.offer('another-turn', () => []);
    const subscribers = async () =>
      Object.values(await admin.pubSubNumSub(`${keyPrefix}turn:relay:want`))[0] === 1;
    await until(subscribers);
    const turn = heldCall(logger, 'ended-elsewhere');
    const key = keyOf(turn.call.key);
    // Claimed, as by a replica that then died or finished: nobody runs it.
    await store.begin(key);
    let asks = 0;
    const begin = store.begin.bind(store);
    let followed = () => {};
    const followEnded = new Promise<void>((resolve) => (followed = resolve));
    store.begin = async (k) => {
      // The second claim comes once the follow through the relay ended.
      if (++asks === 2) followed();
      return begin(k);
    };
    const onB = listen(b.engine, turn.call);
    await followEnded;
    await store.complete(key, encodeRecord({ started, done }));
    await onB.joined;
    other.withdraw();
    expect(onB.events).toEqual([started, done]);
    expect(turn.runs()).toBe(0);
  });

  it('is asked for turns again once Redis is back after a restart', async () => {
    const server = await startPrivateRedis();
    const watcher = createClient({ url: server.url });
    try {
      const keyPrefix = `${prefix}${randomUUID()}:`;
      const idempotency = new Idempotency({ store: new MemoryIdempotencyStore() });
      const a = await replica(idempotency, keyPrefix, server.url);
      const b = await replica(idempotency, keyPrefix, server.url);
      // A's own connection back (it writes the turn out) and its subscription renewed.
      const listening = async () => {
        if (!watcher.isReady || !a.redis.isReady()) return false;
        const counts = await watcher.pubSubNumSub(`${keyPrefix}turn:relay:want`);
        return Object.values(counts)[0] === 1;
      };
      // A subscribes with its first turn; then Redis restarts empty and A subscribes again by itself.
      const earlier = heldCall(logger, 'before-restart');
      const first = listen(a.engine, earlier.call);
      earlier.release();
      await first.joined;
      await server.kill();
      await server.restart();
      watcher.on('error', () => undefined);
      await watcher.connect();
      await until(listening);
      const turn = heldCall(logger, 'after-restart');
      const onA = listen(a.engine, turn.call);
      await until(() => onA.events.length === 2);
      const onB = listen(b.engine, turn.call);
      await until(() => onB.events.length === 2);
      turn.release();
      await Promise.all([onA.joined, onB.joined]);
      expect(onB.events).toEqual(whole);
    } finally {
      if (watcher.isOpen) watcher.destroy();
      await server.kill();
    }
  });

  it('follows a turn that has said nothing yet past the wait for answers, once its replica said it runs it', async () => {
    const server = await startPrivateRedis();
    // Every command the replicas send, to see the follower still reading after the wait for answers.
    const monitor = spawn('redis-cli', ['-p', String(server.port), 'monitor']);
    let commands = '';
    monitor.stdout.on('data', (chunk: Buffer) => (commands += chunk.toString()));
    try {
      const keyPrefix = `${prefix}${randomUUID()}:`;
      const idempotency = new Idempotency({ store: new MemoryIdempotencyStore() });
      const a = await replica(idempotency, keyPrefix, server.url);
      const b = await replica(idempotency, keyPrefix, server.url, 300);
      const turn = heldCall(logger, 'quiet-start', true);
      const onA = listen(a.engine, turn.call);
      const onB = listen(b.engine, turn.call);
      // A blocking read lasts 1 s: a second one means B kept waiting past its 300 ms for answers.
      const streamKey = `${keyPrefix}turn:${keyOf(turn.call.key)}`;
      await until(() => commands.split(`"XREAD"`).filter((c) => c.includes(streamKey)).length >= 2);
      turn.release();
      await Promise.all([onA.joined, onB.joined]);
      // Deltas that come together reach B merged (the relay's batching).
      const text = onB.events.map((e) => (e.type === 'delta' ? e.text : '')).join('');
      expect([onB.events[0], text, onB.events.at(-1)]).toEqual([started, 'one two', done]);
      expect(turn.runs()).toBe(1);
    } finally {
      monitor.kill();
      await server.kill();
    }
  });

  it('tells a follower of a replica that died mid-turn to retry within seconds; the retry runs the turn again', async () => {
    const keyPrefix = `${prefix}${randomUUID()}:`;
    const store = new MemoryIdempotencyStore({ leaseMs: 300 });
    // A's claims, renewed until A "dies" (then its process would renew nothing).
    let aLives = true;
    const aStore: IdempotencyStore = {
      leaseMs: store.leaseMs,
      begin: (key) => store.begin(key),
      renew: (key) => (aLives ? store.renew(key) : Promise.resolve()),
      complete: (key, response) => store.complete(key, response),
      fail: (key) => store.fail(key),
    };
    const a = await replica(new Idempotency({ store: aStore }), keyPrefix);
    // B asks again after 200 ms without news: far below the turn's 60 s deadline.
    const b = await replica(new Idempotency({ store, waitMs: 5_000 }), keyPrefix, url, 500, 200);
    const turn = heldCall(logger, 'replica-died');
    const onA = listen(a.engine, turn.call);
    await until(() => onA.events.length === 2);
    const onB = listen(b.engine, turn.call);
    await until(() => onB.events.length === 2);
    // A dies: it answers no question and renews no claim; its turn never ends.
    aLives = false;
    a.relay.close();
    await onB.joined;
    expect(onB.events.slice(0, 2)).toEqual(whole.slice(0, 2));
    expect(onB.events.at(-1)).toMatchObject({ type: 'error', error: { code: 'unavailable' } });
    // The client retries the same request on B: it runs once A's claim has lapsed, as a retry of a failure.
    const retry = heldCall(logger, 'replica-died');
    let retryOfFailure: boolean | undefined;
    const retried: TurnCall = {
      ...retry.call,
      run: (scope, again) => {
        retryOfFailure = again;
        return retry.call.run(scope, again);
      },
    };
    retry.release();
    const again = listen(b.engine, retried);
    await again.joined;
    expect(again.events).toEqual(whole);
    expect(retryOfFailure).toBe(true);
    turn.release();
    await Promise.all([onA.joined, a.engine.drain(), b.engine.drain()]);
  });

  it('runs and answers turns while Redis is unreachable (the relay is best-effort)', async () => {
    const keyPrefix = `${prefix}${randomUUID()}:`;
    const idempotency = new Idempotency({ store: new MemoryIdempotencyStore() });
    const down = await replica(idempotency, keyPrefix, `redis://127.0.0.1:${await freePort()}`);
    const turn = heldCall(logger, 'no-redis');
    const onA = listen(down.engine, turn.call);
    turn.release();
    await onA.joined;
    await down.engine.drain();
    expect(onA.events).toEqual(whole);
  });
});
