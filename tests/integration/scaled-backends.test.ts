import { randomUUID } from 'node:crypto';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScriptedLlm } from '../../server/src/assistant/scripted-llm.ts';
import { type CongoDb, startCongo } from '../support/congo.ts';
import { type RunningParley, startParley, waitForRedis } from '../support/parley.ts';
import { type PrivateRedis, startPrivateRedis } from '../support/private-redis.ts';

const chat = { platform: 'telegram', userId: '7', chatId: '700' };

describe('a server on REDIS_URL whose Redis dies mid-conversation', () => {
  let redis: PrivateRedis;
  let parley: RunningParley;

  beforeAll(async () => {
    redis = await startPrivateRedis();
    parley = await startParley({
      overrides: { llm: new ScriptedLlm() },
      env: { REDIS_URL: redis.url, REDIS_KEY_PREFIX: 'parley-fallback-test:' },
    });
  });
  afterAll(async () => {
    await parley.cleanup();
    await redis.kill();
  });

  it('keeps the chat on its conversation through the store fallback, then writes the session back', async () => {
    const client = parley.client();
    // The server connects to Redis in the background (it must start while Redis is down): wait for it,
    // or a loaded machine runs the first turn on the fallback and the session is never written.
    await waitForRedis(parley.url);
    const first = await client.continueConversation({ message: 'before', session: chat });
    const sessions = createClient({ url: redis.url });
    await sessions.connect();
    expect(await sessions.get('parley-fallback-test:session:telegram:700')).toBe(first.conversationId);
    sessions.destroy();

    await redis.kill();
    for (const message of ['during 1', 'during 2']) {
      const turn = await client.continueConversation({ message, session: chat });
      expect(turn.conversationId).toBe(first.conversationId);
    }
    const ready = await (await fetch(`${parley.url}/ready`)).json();
    expect(ready).toMatchObject({ status: 'ready', components: { redis: { ok: false, optional: true } } });

    await redis.restart();
    const back = createClient({ url: redis.url });
    await back.connect();
    // The client reconnects in the background; the first turn after that binds the session again.
    await waitForRedis(parley.url);
    await client.continueConversation({ message: 'after', session: chat });
    const rebound = await back.get('parley-fallback-test:session:telegram:700');
    back.destroy();
    expect(rebound).toBe(first.conversationId);
  });
});

describe('a server on MONGODB_URL (CongoDB over the wire) and the shared Redis', () => {
  let congo: CongoDb;
  let parley: RunningParley;
  const prefix = `parley-test:${randomUUID()}:`;

  beforeAll(async () => {
    congo = await startCongo();
    parley = await startParley({
      overrides: { llm: new ScriptedLlm() },
      // CongoDB cannot stream heartbeats; the standard URI option switches the driver to polling.
      env: {
        MONGODB_URL: `${congo.url}/?serverMonitoringMode=poll`,
        MONGODB_DB: `parley_${randomUUID().slice(0, 8)}`,
        REDIS_URL: 'redis://127.0.0.1:6379',
        REDIS_KEY_PREFIX: prefix,
      },
    });
  });
  afterAll(async () => {
    await parley.cleanup();
    await congo.stop();
    const redis = createClient({ url: 'redis://127.0.0.1:6379' });
    await redis.connect();
    for await (const keys of redis.scanIterator({ MATCH: `${prefix}*`, COUNT: 100 })) {
      if (keys.length > 0) await redis.del(keys);
    }
    redis.destroy();
  });

  it('runs every RPC against MongoDB', async () => {
    const client = parley.client({ json: true });
    const started = await client.startConversation({
      message: 'hello mongo',
      session: chat,
      requestId: 'r1',
    });
    const id = started.conversation?.id ?? '';
    expect(id).toMatch(/^[0-9a-f]{24}$/);
    const replay = await client.startConversation({ message: 'hello mongo', session: chat, requestId: 'r1' });
    expect(replay.conversation?.id).toBe(id);
    const turn = await client.continueConversation({ message: 'second', session: chat });
    expect(turn.conversationId).toBe(id);
    const described = await client.describeConversation({ conversationId: id, session: chat });
    expect(described.messages.map((m) => m.content)).toEqual([
      'hello mongo',
      'Echo: hello mongo',
      'second',
      'Echo: second',
    ]);
    expect((await client.listConversations({ session: chat })).conversations.map((c) => c.id)).toEqual([id]);
    await client.deleteConversation({ conversationId: id, session: chat });
    expect((await client.listConversations({ session: chat })).conversations).toEqual([]);
    const ready = await (await fetch(`${parley.url}/ready`)).json();
    expect(ready).toMatchObject({
      components: { store: { ok: true, detail: 'mongodb' }, redis: { ok: true } },
    });
  });
});
