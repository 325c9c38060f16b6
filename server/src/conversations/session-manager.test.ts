import { createLogger } from '@parley/logger';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemorySessionStore } from '../sessions/memory-session-store.ts';
import type { SessionStore } from '../sessions/session-store.ts';
import type { ConversationStore, Owner } from './conversation-store.ts';
import { EmbeddedConversationStore } from './embedded-conversation-store.ts';
import { ignoreSessionEvents, type SessionEvents, SessionManager } from './session-manager.ts';

const owner: Owner = { clientId: 'bot', userId: '7' };
const chat = { platform: 'telegram', chatId: '100' };
const logger = createLogger({ name: 'test', level: 'silent', pretty: false });

/** A session store whose every call fails, as Redis does when it is down. */
class BrokenSessionStore implements SessionStore {
  calls = 0;
  async get(): Promise<string | null> {
    this.calls++;
    throw new Error('connection refused');
  }
  async set(): Promise<void> {
    this.calls++;
    throw new Error('connection refused');
  }
  async delete(): Promise<void> {
    throw new Error('connection refused');
  }
  async ping(): Promise<void> {
    throw new Error('connection refused');
  }
  async close(): Promise<void> {}
}

describe('SessionManager', () => {
  let store: ConversationStore;
  let now: Date;
  const clock = () => now;

  beforeEach(() => {
    now = new Date('2026-01-01T12:00:00Z');
    store = new EmbeddedConversationStore({ path: ':memory:', clock });
  });
  afterEach(() => store.close());

  const manager = (sessions: SessionStore, events: SessionEvents = ignoreSessionEvents) =>
    new SessionManager({ store, sessions, ttlSeconds: 1800, clock, logger, events });

  it('returns the bound conversation from the session store', async () => {
    const sessions = new MemorySessionStore({ now: () => now.getTime() });
    const conversation = await store.create({ owner, title: 't', ...chat });
    await manager(sessions).bind(chat, conversation.id);
    expect(await manager(sessions).current(owner, chat)).toMatchObject({
      conversation: { id: conversation.id },
      source: 'session',
    });
  });

  it('falls back to the newest conversation of the chat in the store and binds it again', async () => {
    const sessions = new MemorySessionStore({ now: () => now.getTime() });
    await store.create({ owner, title: 'old', ...chat });
    now = new Date(now.getTime() + 1000);
    const newest = await store.create({ owner, title: 'new', ...chat });
    const found = await manager(sessions).current(owner, chat);
    expect(found).toMatchObject({ conversation: { id: newest.id }, source: 'store' });
    expect(await sessions.get('telegram:100', 1800)).toBe(newest.id);
  });

  it('keeps working from the store when the session store fails', async () => {
    const broken = new BrokenSessionStore();
    const conversation = await store.create({ owner, title: 't', ...chat });
    const found = await manager(broken).current(owner, chat);
    expect(found?.conversation.id).toBe(conversation.id);
    expect(broken.calls).toBeGreaterThan(0);
  });

  it('starts fresh when the chat was idle longer than the session window', async () => {
    const sessions = new MemorySessionStore({ now: () => now.getTime() });
    await store.create({ owner, title: 't', ...chat });
    now = new Date(now.getTime() + 1801 * 1000);
    expect(await manager(sessions).current(owner, chat)).toBeNull();
  });

  it('reports where each lookup was answered and every fallback from a failing session store', async () => {
    const seen: string[] = [];
    const events: SessionEvents = {
      lookup: (source) => seen.push(source),
      fallback: (operation) => seen.push(`fallback:${operation}`),
    };
    const sessions = new MemorySessionStore({ now: () => now.getTime() });
    expect(await manager(sessions, events).current(owner, chat)).toBeNull();
    await store.create({ owner, title: 't', ...chat });
    await manager(sessions, events).current(owner, chat);
    await manager(sessions, events).current(owner, chat);
    await manager(new BrokenSessionStore(), events).current(owner, chat);
    expect(seen).toEqual(['new', 'store', 'session', 'fallback:get', 'fallback:set', 'store']);
  });

  it('ignores a binding to a conversation of another owner', async () => {
    const sessions = new MemorySessionStore({ now: () => now.getTime() });
    const theirs = await store.create({ owner: { clientId: 'bot', userId: '8' }, title: 't', ...chat });
    await manager(sessions).bind(chat, theirs.id);
    expect(await manager(sessions).current(owner, chat)).toBeNull();
  });
});

describe('MemorySessionStore', () => {
  it('slides the TTL on every read and forgets idle sessions', async () => {
    let now = 0;
    const sessions = new MemorySessionStore({ now: () => now });
    await sessions.set('k', 'c1', 10);
    now = 9_000;
    expect(await sessions.get('k', 10)).toBe('c1');
    now = 18_000;
    expect(await sessions.get('k', 10)).toBe('c1');
    now = 28_001;
    expect(await sessions.get('k', 10)).toBeNull();
  });

  it('stays within its entry bound', async () => {
    const sessions = new MemorySessionStore({ maxEntries: 3 });
    for (let i = 0; i < 10; i++) await sessions.set(`k${i}`, `c${i}`, 60);
    expect(await sessions.get('k0', 60)).toBeNull();
    expect(await sessions.get('k9', 60)).toBe('c9');
  });
});
