import { createLogger } from '@parley/logger';
import { describeRpcError } from '@parley/rpc';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type OpenAiStandIn, type RecordedRequest, startOpenAiStandIn } from '../support/openai-stand-in.ts';
import { type RunningParley, startParley } from '../support/parley.ts';
import { connectTestRedis, type TestRedis } from '../support/test-redis.ts';

const logger = createLogger({ name: 'turn-deadline-test', level: 'silent', pretty: false });

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail');
}

async function failure(promise: Promise<unknown>) {
  return describeRpcError(await rejection(promise));
}

describe('one deadline per turn', () => {
  let model: OpenAiStandIn;
  let parley: RunningParley;

  beforeAll(async () => {
    model = await startOpenAiStandIn();
    parley = await startParley({
      env: {
        OPENAI_BASE_URL: model.url,
        OPENAI_API_KEY: 'test',
        // Three attempts of 2 s each would hold the caller over 6 s; the third cannot start before 4 s.
        OPENAI_TIMEOUT_MS: '2000',
        OPENAI_MAX_RETRIES: '2',
        TURN_TIMEOUT_MS: '3000',
      },
    });
    // A first turn (the stand-in echoes), so the measured one does not spend its deadline on a fresh
    // server's one-time costs before reaching the model. Its outcome does not matter.
    await parley
      .client()
      .continueConversation({ message: 'warm up', session: { platform: 'cli', userId: 'w', chatId: 'w' } })
      .catch(() => undefined);
  });
  afterAll(async () => {
    await parley.cleanup();
    await model.close();
  });

  it('answers deadline_exceeded at the turn deadline, retries included, and aborts the model call', async () => {
    const message = 'are you there?';
    model.script({ hang: true }, { hang: true }, { hang: true });
    const started = Date.now();
    const raw = await rejection(
      parley
        .client()
        .continueConversation({ message, session: { platform: 'cli', userId: 'd', chatId: 'd' } }),
    );
    expect(describeRpcError(raw).code).toBe('deadline_exceeded');
    // The turn's deadline answered, not the model's own per-attempt timeout (which has no timeout_ms).
    expect((raw as { meta?: Record<string, unknown> }).meta?.timeout_ms).toBe('3000');
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_900);
    // Every model call of this turn was closed (none left hanging), and the deadline cut the retries
    // short: a third attempt could start only after two 2 s attempts, past the 3 s deadline.
    const asked = (r: RecordedRequest) => r.body.messages?.at(-1)?.content === message;
    const calls = () => model.requests.filter(asked);
    await vi.waitFor(() => {
      expect(calls().length).toBeGreaterThan(0);
      expect(model.aborts.filter((a) => asked(a.request))).toHaveLength(calls().length);
    });
    expect(calls().length).toBeLessThan(3);
  });
});

describe('shutdown with a turn still running', () => {
  let redis: TestRedis;

  beforeAll(async () => {
    redis = await connectTestRedis(logger);
  });
  afterAll(() => redis.cleanup());

  it('answers it unavailable before closing, and a retry with the same request_id continues cleanly', async () => {
    const model = await startOpenAiStandIn();
    const env = {
      OPENAI_BASE_URL: model.url,
      OPENAI_API_KEY: 'test',
      REDIS_URL: 'redis://127.0.0.1:6379',
      REDIS_KEY_PREFIX: redis.prefix,
      SHUTDOWN_TIMEOUT_MS: '300',
    };
    const first = await startParley({ env });
    const session = { platform: 'telegram', userId: 'u1', chatId: 'shutdown-chat' };
    const request = { message: 'long question', session, requestId: 'update-77' };
    try {
      model.script({ hang: true });
      const inFlight = failure(first.client().continueConversation(request));
      while (model.requests.length === 0) await new Promise((r) => setTimeout(r, 10));
      await first.stop();
      const error = await inFlight;
      expect(error.code).toBe('unavailable');

      const second = await startParley({ env, dataDir: first.dataDir });
      try {
        model.script({ reply: 'the answer' });
        const retried = await second.client().continueConversation(request);
        expect(retried.reply?.content).toBe('the answer');
        const described = await second.client().describeConversation({
          conversationId: retried.conversationId,
          session,
        });
        expect(described.messages.map((m) => m.content)).toEqual(['long question', 'the answer']);
      } finally {
        await second.stop();
      }
    } finally {
      await first.cleanup();
      await model.close();
    }
  });
});
