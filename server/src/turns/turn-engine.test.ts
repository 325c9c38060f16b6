import { Writable } from 'node:stream';
import { createLogger } from '@parley/logger';
import { describe, expect, it } from 'vitest';
import type { ConversationRecord } from '../conversations/conversation-store.ts';
import { MemoryIdempotencyStore } from '../coordination/memory-idempotency-store.ts';
import { Idempotency } from './idempotency.ts';
import type { TurnCall } from './turn-engine.ts';
import { TurnEngine } from './turn-engine.ts';
import type { TurnEvent } from './turn-event.ts';

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
