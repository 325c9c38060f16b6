import { trace } from '@opentelemetry/api';
import { createLogger } from '@parley/logger';
import {
  FakeChatClient,
  FakeIdentityClient,
  FakeUsageClient,
  playTurn,
  turnEvent,
} from '@parley/rpc/testing';
import { Registry } from 'prom-client';
import type { Telegram } from 'telegraf';
import type { UserFromGetMe } from 'telegraf/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBot } from '../../bot/src/bot.ts';
import { installTestTracing, type TestTracing } from '../../server/src/observability/test-tracing.ts';

// The bot answers from a per-chat queue after its update handler returned; the turn must still run in
// the update's trace, so the RPC (and with it the server's spans) joins that trace.
describe('the bot’s trace context', () => {
  let tracing: TestTracing;
  beforeAll(() => {
    tracing = installTestTracing();
  });
  afterAll(() => tracing.uninstall());

  it('runs the queued turn inside the update’s span', async () => {
    const seenTraceIds: (string | undefined)[] = [];
    // The stream client reads the trace context when the call is made, as this fake does.
    const parley = new FakeChatClient({
      streamContinueConversation: (_req, opts) => {
        seenTraceIds.push(trace.getActiveSpan()?.spanContext().traceId);
        return playTurn([turnEvent.started('c1'), turnEvent.done('c1', 'ok')], opts?.signal);
      },
    });
    const bot = createBot({
      token: '1:test',
      parley,
      usage: new FakeUsageClient(),
      identity: new FakeIdentityClient(),
      logger: createLogger({ name: 'test', level: 'silent', pretty: false }),
      registry: new Registry(),
      allowedUsers: { ids: [], usernames: [] },
      showTools: false,
      rpcTimeoutMs: 1_000,
      botInfo: { id: 99, is_bot: true, first_name: 'Parley', username: 'ParleyBot' } as UserFromGetMe,
    });
    bot.telegraf.telegram.callApi = (async () => ({ message_id: 1 })) as unknown as Telegram['callApi'];
    const from = { id: 7, is_bot: false, first_name: 'Ann' };
    await bot.telegraf.handleUpdate({
      update_id: 1,
      message: {
        message_id: 1,
        date: 0,
        chat: { id: 7, type: 'private', first_name: 'Ann' },
        from,
        text: 'hi',
      },
    });
    await bot.queue.drain(1_000);
    const updateSpan = tracing.span('telegram message');
    expect(seenTraceIds).toEqual([updateSpan.spanContext().traceId]);
  });
});
