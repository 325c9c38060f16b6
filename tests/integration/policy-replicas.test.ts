import { createLogger } from '@parley/logger';
import { describeRpcError } from '@parley/rpc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScriptedLlm } from '../../server/src/assistant/scripted-llm.ts';
import { type RunningParley, startParley, waitForRedis } from '../support/parley.ts';
import { type PrivateRedis, startPrivateRedis } from '../support/private-redis.ts';
import { connectTestRedis, type TestRedis } from '../support/test-redis.ts';

const logger = createLogger({ name: 'policy-replicas-test', level: 'silent', pretty: false });
const LIMIT = { RATE_LIMIT_USER_TURNS_PER_MINUTE: '3' };

async function code(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'ok';
  } catch (err) {
    return describeRpcError(err).code;
  }
}

describe('rate limits across two replicas sharing Redis', () => {
  let redis: TestRedis;
  let replicas: RunningParley[];

  beforeAll(async () => {
    redis = await connectTestRedis(logger);
    const env = { REDIS_URL: 'redis://127.0.0.1:6379', REDIS_KEY_PREFIX: redis.prefix, ...LIMIT };
    replicas = await Promise.all(
      [0, 1].map(() => startParley({ env, overrides: { llm: new ScriptedLlm() } })),
    );
    await Promise.all(replicas.map((r) => waitForRedis(r.url)));
  });
  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.cleanup()));
    await redis.cleanup();
  });

  it('counts a user’s turns on either replica against one limit', async () => {
    const [a, b] = replicas as [RunningParley, RunningParley];
    const session = { platform: 'cli', userId: 'shared', chatId: '' };
    const turn = (replica: RunningParley, message: string) =>
      code(replica.client().startConversation({ message, session }));
    expect([await turn(a, '1'), await turn(b, '2'), await turn(a, '3')]).toEqual(['ok', 'ok', 'ok']);
    expect(await turn(b, '4')).toBe('resource_exhausted');
    expect(await turn(a, '5')).toBe('resource_exhausted');
    // Another user is not affected.
    expect(
      await code(b.client().startConversation({ message: 'x', session: { ...session, userId: 'other' } })),
    ).toBe('ok');
  });
});

describe('rate limits while Redis is down', () => {
  let redis: PrivateRedis;
  let parley: RunningParley;

  beforeAll(async () => {
    redis = await startPrivateRedis();
    parley = await startParley({
      env: { REDIS_URL: redis.url, ...LIMIT },
      overrides: { llm: new ScriptedLlm() },
    });
    await waitForRedis(parley.url);
  });
  afterAll(async () => {
    await parley.cleanup();
    await redis.kill();
  });

  it('fall back to this replica’s own counters: turns go on, and a user is still limited', async () => {
    const session = { platform: 'cli', userId: 'fallback', chatId: '' };
    const turn = () => code(parley.client().startConversation({ message: 'hi', session }));
    expect(await turn()).toBe('ok');
    await redis.kill();
    const outcomes: string[] = [];
    for (let i = 0; i < 5; i++) outcomes.push(await turn());
    expect(outcomes.slice(0, 3)).toEqual(['ok', 'ok', 'ok']);
    expect(outcomes.slice(3)).toEqual(['resource_exhausted', 'resource_exhausted']);
  });
});
