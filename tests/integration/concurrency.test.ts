import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '@parley/logger';
import { type ChatClient, Role } from '@parley/rpc';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Llm, LlmRequest, LlmResponse } from '../../server/src/assistant/llm.ts';
import { ScriptedLlm } from '../../server/src/assistant/scripted-llm.ts';
import { EmbeddedConversationStore } from '../../server/src/conversations/embedded-conversation-store.ts';
import { LocalLock, layeredLock } from '../../server/src/coordination/keyed-lock.ts';
import type { RedisCommands } from '../../server/src/coordination/redis-commands.ts';
import { RedisIdempotencyStore } from '../../server/src/coordination/redis-idempotency-store.ts';
import { RedisLock } from '../../server/src/coordination/redis-lock.ts';
import { UnavailableError } from '../../server/src/errors/app-error.ts';
import { type RunningParley, startParley } from '../support/parley.ts';

const session = { platform: 'cli', userId: 'racer', chatId: '' };
const logger = createLogger({ name: 'test', level: 'silent', pretty: false });

/** Echoes after a random pause, so concurrent turns really overlap. */
class SlowEcho implements Llm {
  readonly configured = true;
  calls = 0;
  async complete(request: LlmRequest): Promise<LlmResponse> {
    this.calls++;
    await sleep(Math.random() * 4);
    const last = request.messages.at(-1);
    return {
      content: `Echo: ${last?.content ?? ''}`,
      toolCalls: [],
      usage: { promptTokens: 1, completionTokens: 1, totalTokens: 2 },
      model: 'slow-echo',
    };
  }
}

async function expectConsistentPairs(client: ChatClient, conversationId: string, turns: number) {
  const described = await client.describeConversation({ conversationId, session, pageSize: 500 });
  const messages = described.messages;
  expect(messages).toHaveLength(turns * 2);
  for (let i = 0; i < messages.length; i += 2) {
    const [user, assistant] = [messages[i], messages[i + 1]];
    expect(user?.role).toBe(Role.USER);
    expect(assistant?.role).toBe(Role.ASSISTANT);
    // Each reply answers the message right before it: no turn saw another turn's half-written state.
    expect(assistant?.content).toBe(`Echo: ${user?.content}`);
  }
  expect(new Set(messages.filter((m) => m.role === Role.USER).map((m) => m.content)).size).toBe(turns);
}

describe('concurrent turns on one conversation', () => {
  it('stores 100 concurrent turns as 200 messages in consistent order on one server', async () => {
    const parley = await startParley({ overrides: { llm: new SlowEcho() } });
    try {
      const client = parley.client();
      const id = (await client.startConversation({ session })).conversation?.id ?? '';
      await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          client.continueConversation({ conversationId: id, message: `message ${i}`, session }),
        ),
      );
      await expectConsistentPairs(client, id, 100);
    } finally {
      await parley.cleanup();
    }
  });

  describe('across two replicas sharing Redis', () => {
    const prefix = `parley-test:${randomUUID()}:`;
    const redisClient = createClient({ url: 'redis://127.0.0.1:6379' });
    const redis = redisClient as unknown as RedisCommands;
    const replicas: RunningParley[] = [];

    beforeAll(async () => {
      await redisClient.connect();
      const store = new EmbeddedConversationStore({ path: ':memory:' });
      for (let i = 0; i < 2; i++) {
        replicas.push(
          await startParley({
            overrides: {
              llm: new SlowEcho(),
              store,
              lock: layeredLock(new LocalLock(), new RedisLock({ redis, logger, keyPrefix: prefix })),
              idempotency: new RedisIdempotencyStore({ redis, keyPrefix: prefix }),
            },
          }),
        );
      }
    });
    afterAll(async () => {
      // Both replicas share one store: stop the first without closing it under the second.
      await Promise.all(replicas.map((r) => r.stop().catch(() => undefined)));
      await Promise.all(replicas.map((r) => r.cleanup()));
      for await (const keys of redisClient.scanIterator({ MATCH: `${prefix}*`, COUNT: 100 })) {
        if (keys.length > 0) await redisClient.del(keys);
      }
      redisClient.destroy();
    });

    it('serializes 100 concurrent turns split over both replicas', async () => {
      const clients = replicas.map((r) => r.client());
      const id = (await clients[0]?.startConversation({ session }))?.conversation?.id ?? '';
      await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          clients[i % 2]?.continueConversation({ conversationId: id, message: `message ${i}`, session }),
        ),
      );
      await expectConsistentPairs(clients[0] as ChatClient, id, 100);
    });

    it('answers a request id replayed on the other replica with the first result', async () => {
      const [a, b] = replicas.map((r) => r.client());
      const id = (await a?.startConversation({ session }))?.conversation?.id ?? '';
      const request = { conversationId: id, message: 'only once', session, requestId: randomUUID() };
      const responses = await Promise.all([a, b, a, b].map((c) => c?.continueConversation(request)));
      const replay = await b?.continueConversation(request);
      for (const response of [...responses, replay]) expect(response).toEqual(responses[0]);
      await expectConsistentPairs(a as ChatClient, id, 1);
    });
  });
});

describe('request ids on one server', () => {
  it('runs a replayed ContinueConversation once and a replayed delete without not_found', async () => {
    const llm = new ScriptedLlm();
    const parley = await startParley({ overrides: { llm } });
    try {
      const client = parley.client({ json: true });
      const id = (await client.startConversation({ session, requestId: 'start-1' })).conversation?.id ?? '';
      const again = await client.startConversation({ session, requestId: 'start-1' });
      expect(again.conversation?.id).toBe(id);
      const request = { conversationId: id, message: 'hello', session, requestId: 'turn-1' };
      const [first, second] = await Promise.all([
        client.continueConversation(request),
        client.continueConversation(request),
      ]);
      expect(second).toEqual(first);
      expect(llm.calls).toHaveLength(1);
      await client.deleteConversation({ conversationId: id, session, requestId: 'delete-1' });
      await expect(
        client.deleteConversation({ conversationId: id, session, requestId: 'delete-1' }),
      ).resolves.toEqual({});
      const listed = await client.listConversations({ session });
      expect(listed.conversations).toHaveLength(0);
    } finally {
      await parley.cleanup();
    }
  });

  it('retries a failed turn without storing the user message twice', async () => {
    const llm = new ScriptedLlm([{ error: new UnavailableError('the model endpoint cannot be reached') }]);
    const parley = await startParley({ overrides: { llm } });
    try {
      const client = parley.client();
      const id = (await client.startConversation({ session })).conversation?.id ?? '';
      const request = { conversationId: id, message: 'are you there?', session, requestId: 'retry-1' };
      await expect(client.continueConversation(request)).rejects.toMatchObject({ code: 'unavailable' });
      const retried = await client.continueConversation(request);
      expect(retried.reply?.content).toBe('Echo: are you there?');
      const described = await client.describeConversation({ conversationId: id, session });
      expect(described.messages.map((m) => m.content)).toEqual(['are you there?', 'Echo: are you there?']);
    } finally {
      await parley.cleanup();
    }
  });
});
