import { createLogger } from '@parley/logger';
import { describeRpcError } from '@parley/rpc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OpenAiStandIn, startOpenAiStandIn } from '../support/openai-stand-in.ts';
import { type RunningParley, startParley } from '../support/parley.ts';
import { connectTestRedis, type TestRedis } from '../support/test-redis.ts';

const logger = createLogger({ name: 'turn-deadline-test', level: 'silent', pretty: false });

async function failure(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (err) {
    return describeRpcError(err);
  }
  throw new Error('expected the call to fail');
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
        // Three attempts of 1 s each (plus backoff) would hold the caller well over 3 s.
        OPENAI_TIMEOUT_MS: '1000',
        OPENAI_MAX_RETRIES: '2',
        TURN_TIMEOUT_MS: '1500',
      },
    });
  });
  afterAll(async () => {
    await parley.cleanup();
    await model.close();
  });

  it('answers deadline_exceeded at the turn deadline, retries included, and aborts the model call', async () => {
    model.script({ hang: true }, { hang: true }, { hang: true });
    const started = Date.now();
    const error = await failure(
      parley.client().continueConversation({
        message: 'are you there?',
        session: { platform: 'cli', userId: 'd', chatId: 'd' },
      }),
    );
    const elapsed = Date.now() - started;
    expect(error.code).toBe('deadline_exceeded');
    expect(elapsed).toBeGreaterThanOrEqual(1_400);
    expect(elapsed).toBeLessThan(2_800);
    const abort = await model.nextAbort(2_000);
    expect(abort.at - started).toBeLessThan(2_800);
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
