import { Writable } from 'node:stream';
import { createLogger } from '@parley/logger';
import { describe, expect, it } from 'vitest';
import type { ConversationRecord } from '../conversations/conversation-store.ts';
import { MemoryIdempotencyStore } from '../coordination/memory-idempotency-store.ts';
import { startMemoryPool } from '../coordination/testing/memory-pool.ts';
import { Idempotency, keyOf } from './idempotency.ts';
import { done, heldCall, started, whole } from './testing/held-call.ts';
import type { TurnCall } from './turn-engine.ts';
import { TurnEngine } from './turn-engine.ts';
import { encodeRecord, type TurnEvent } from './turn-event.ts';

function setup() {
  const lines: Array<{ level: number; msg: string }> = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  const logger = createLogger({ name: 'test', level: 'debug', pretty: false, destination });
  const store = new MemoryIdempotencyStore();
  const engine = new TurnEngine({
    idempotency: new Idempotency({ store }),
    logger,
    graceMs: 10,
    turnTimeoutMs: 60_000,
  });
  return { engine, store, logger, lines };
}

/** A turn that starts, then waits for its signal and fails with its reason, as a model call does. */
function waitingCall(logger: ReturnType<typeof createLogger>, idempotencyKey: string): TurnCall {
  return {
    key: { owner: { clientId: 'c', userId: 'u' }, method: 'ContinueConversation', idempotencyKey },
    requestId: 'r1',
    logger,
    run: (scope) =>
      new Promise((_, reject) => {
        scope.emit({ type: 'started', conversationId: 'x', isNew: false });
        scope.emit({ type: 'delta', text: 'partial' });
        scope.signal.addEventListener('abort', () => reject(scope.signal.reason), { once: true });
      }),
  };
}

describe('TurnEngine', () => {
  it('cuts a turn short once every client left, as canceled: not an internal error, and a retry may run', async () => {
    const { engine, logger, lines } = setup();
    const client = new AbortController();
    const seen: TurnEvent[] = [];
    const joined = engine.join(waitingCall(logger, 'req-1'), {
      transport: 'sse',
      signal: client.signal,
      onEvent: (event) => {
        seen.push(event);
        if (event.type === 'delta') client.abort();
      },
    });
    await joined;
    await engine.drain();
    expect(seen.map((e) => e.type)).toEqual(['started', 'delta']);
    expect(lines.filter((line) => line.level >= 50)).toEqual([]);
    // The failure is recorded: a retry with the same request_id runs again, told an earlier try failed.
    let retried: boolean | undefined;
    const retry: TurnCall = {
      ...waitingCall(logger, 'req-1'),
      run: async (scope, retryOfFailure) => {
        retried = retryOfFailure;
        scope.emit({ type: 'started', conversationId: 'x', isNew: false });
        return { type: 'done', conversation: { id: 'x' } as ConversationRecord };
      },
    };
    const events: TurnEvent[] = [];
    await engine.join(retry, {
      transport: 'unary',
      signal: new AbortController().signal,
      onEvent: (e) => events.push(e),
    });
    expect(retried).toBe(true);
    expect(events.map((e) => e.type)).toEqual(['started', 'done']);
  });
});

/** Two workers' engines sharing one idempotency store and the pool's relay (hub and relays in memory). */
function pool() {
  const { logger, lines } = setup();
  const store = new MemoryIdempotencyStore();
  const idempotency = new Idempotency({ store, waitMs: 2_000 });
  const relays = startMemoryPool([1, 2], { logger });
  const engine = (worker: number) =>
    new TurnEngine({ idempotency, relay: relays.relay(worker), logger, graceMs: 10, turnTimeoutMs: 60_000 });
  return { a: engine(1), b: engine(2), store, relays, logger, lines };
}

/** Yields to the event loop until `done()` holds (messages between the workers travel as microtasks). */
async function until(done: () => boolean): Promise<void> {
  while (!done()) await new Promise((resolve) => setImmediate(resolve));
}

describe('TurnEngine across the workers of a pool (ClusterTurnRelay)', () => {
  it('follows a turn running on the other worker, which keeps it alive after its own client left', async () => {
    const { a, b, relays, logger } = pool();
    const { call, release, runs } = heldCall(logger, 'req-2');
    const client = new AbortController();
    const onA: TurnEvent[] = [];
    await a.join(call, {
      transport: 'sse',
      signal: client.signal,
      onEvent: (event) => {
        onA.push(event);
        if (event.type === 'delta') client.abort();
      },
    });
    const onB: TurnEvent[] = [];
    const followed = b.join(call, {
      transport: 'sse',
      signal: new AbortController().signal,
      onEvent: (e) => onB.push(e),
    });
    // A asked whether anyone follows (its grace ran out) and kept the turn: B attends.
    await until(() => (relays.sent.get(1) ?? []).some((m) => m.op === 'ask') && onB.length >= 2);
    release();
    await followed;
    await a.drain();
    expect(onA.map((e) => e.type)).toEqual(['started', 'delta']);
    expect(onB).toEqual(whole);
    expect(runs()).toBe(1);
  });

  it('answers from the record when the turn it would follow runs nowhere any more', async () => {
    const { b, store, logger } = pool();
    const call: TurnCall = {
      ...waitingCall(logger, 'req-3'),
      run: () => Promise.reject(new Error('must not run again')),
    };
    const key = keyOf(call.key);
    await store.begin(key);
    const events: TurnEvent[] = [];
    const joined = b.join(call, {
      transport: 'unary',
      signal: new AbortController().signal,
      onEvent: (e) => events.push(e),
    });
    // Claimed as running, then finished before the other worker is asked for it.
    await store.complete(key, encodeRecord({ started, done }));
    await joined;
    expect(events).toEqual([started, done]);
  });
});
