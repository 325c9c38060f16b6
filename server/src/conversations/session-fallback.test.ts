import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '@parley/logger';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PrivateRedis, startPrivateRedis } from '../../../tests/support/private-redis.ts';
import { createRedisClient, type RedisConnection } from '../redis/redis-client.ts';
import { RedisSessionStore } from '../sessions/redis-session-store.ts';
import type { Owner } from './conversation-store.ts';
import { EmbeddedConversationStore } from './embedded-conversation-store.ts';
import { ignoreSessionEvents, SessionManager } from './session-manager.ts';

const logger = createLogger({ name: 'test', level: 'silent', pretty: false });
/** Far above the command timeouts used here: proves "does not hang", not a latency. */
const NO_HANG_MS = 5000;

describe('SessionManager over a Redis session store that fails', () => {
  const owner: Owner = { clientId: 'bot', userId: '7' };
  const chat = { platform: 'telegram', chatId: '500' };
  let server: PrivateRedis;
  let redis: RedisConnection;
  let sessions: RedisSessionStore;
  let conversations: EmbeddedConversationStore;
  let manager: SessionManager;

  beforeAll(async () => {
    server = await startPrivateRedis();
    redis = createRedisClient({ url: server.url, logger, commandTimeoutMs: 300, maxReconnectDelayMs: 200 });
    await waitFor(() => redis.isReady());
    sessions = new RedisSessionStore({ redis });
    conversations = new EmbeddedConversationStore({ path: ':memory:' });
    manager = new SessionManager({
      store: conversations,
      sessions,
      ttlSeconds: 1800,
      clock: () => new Date(),
      logger,
      events: ignoreSessionEvents,
    });
  });

  afterAll(async () => {
    await redis?.close();
    await conversations?.close();
    server?.resume();
    await server?.kill();
  });

  it('fails fast while Redis is down, falls back to the store, and writes the session back', async () => {
    const conversation = await conversations.create({ owner, title: 'Plans', ...chat });
    await manager.bind(chat, conversation.id);
    expect(await manager.current(owner, chat)).toMatchObject({ source: 'session' });

    await server.kill();
    await expect(sessions.get('telegram:500', 60)).rejects.toMatchObject({ code: 'unavailable' });
    for (let turn = 0; turn < 3; turn++) {
      const before = Date.now();
      const resolved = await manager.current(owner, chat);
      expect(resolved).toMatchObject({ conversation: { id: conversation.id }, source: 'store' });
      expect(Date.now() - before).toBeLessThan(NO_HANG_MS);
    }

    await server.restart();
    await waitFor(() => redis.isReady());
    // The restarted Redis is empty: the store finds the conversation again and binds it back.
    expect(await manager.current(owner, chat)).toMatchObject({ source: 'store' });
    expect(await sessions.get('telegram:500', 1800)).toBe(conversation.id);
    expect(await manager.current(owner, chat)).toMatchObject({
      conversation: { id: conversation.id },
      source: 'session',
    });
  });
});

async function waitFor(condition: () => boolean, timeoutMs = NO_HANG_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(20);
  }
}
