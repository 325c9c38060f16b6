import type { Logger } from '@parley/logger';
import type { SessionStore } from '../sessions/session-store.ts';
import { inSpan } from '../tracing/spans.ts';
import type { ConversationRecord, ConversationStore, Owner } from './conversation-store.ts';

/** Where a stateless client's chat lives on its platform. */
export interface ChatRef {
  platform: string;
  chatId: string;
}

export type SessionSource = 'session' | 'store' | 'new';

/** A chat's conversation and where it was found. */
export interface SessionMatch {
  conversation: ConversationRecord;
  source: Exclude<SessionSource, 'new'>;
}

/** What the manager reports as it works (metrics hook in here). */
export interface SessionEvents {
  /** A chat was resolved: from the session store, from the durable store, or to a new conversation. */
  lookup(source: SessionSource): void;
  /** The session store failed and the manager carried on without it. */
  fallback(operation: string): void;
}

/** For tests and tools that do not count anything. */
export const ignoreSessionEvents: SessionEvents = { lookup: () => {}, fallback: () => {} };

export interface SessionManagerDeps {
  store: ConversationStore;
  sessions: SessionStore;
  ttlSeconds: number;
  clock: () => Date;
  logger: Logger;
  events: SessionEvents;
}

/**
 * Resolves a chat to its current conversation: the fast session store first, then (on a miss or when the
 * session store fails) the durable store's newest conversation for that chat inside the session window.
 * A failing session store never fails the request.
 */
export class SessionManager {
  readonly #deps: SessionManagerDeps;

  constructor(deps: SessionManagerDeps) {
    this.#deps = deps;
  }

  /** The chat's current conversation for this owner, or null when a new one should be started. */
  current(owner: Owner, chat: ChatRef): Promise<SessionMatch | null> {
    const attributes = { 'parley.session.platform': chat.platform };
    return inSpan('session.lookup', { attributes }, async (span) => {
      const found = await this.#current(owner, chat);
      const source = found?.source ?? 'new';
      span.setAttribute('parley.session.source', source);
      this.#deps.events.lookup(source);
      return found;
    });
  }

  async #current(owner: Owner, chat: ChatRef): Promise<SessionMatch | null> {
    const { store, sessions, ttlSeconds, clock } = this.#deps;
    const key = sessionKey(chat);
    const boundId = await this.#safely('get', () => sessions.get(key, ttlSeconds));
    if (boundId) {
      const conversation = await store.get(boundId, owner);
      if (conversation) return { conversation, source: 'session' };
    }
    const since = new Date(clock().getTime() - ttlSeconds * 1000);
    const recent = await store.latestForChat(owner, chat.platform, chat.chatId, since);
    if (!recent) return null;
    await this.bind(chat, recent.id);
    return { conversation: recent, source: 'store' };
  }

  /** Points the chat's session at a conversation (new, switched to, or found again). */
  async bind(chat: ChatRef, conversationId: string): Promise<void> {
    await this.#safely('set', () =>
      this.#deps.sessions.set(sessionKey(chat), conversationId, this.#deps.ttlSeconds),
    );
  }

  /** Forgets the chat's session if it points at this conversation. */
  async unbind(chat: ChatRef, conversationId: string): Promise<void> {
    const key = sessionKey(chat);
    const bound = await this.#safely('get', () => this.#deps.sessions.get(key, this.#deps.ttlSeconds));
    if (bound === conversationId) await this.#safely('delete', () => this.#deps.sessions.delete(key));
  }

  async #safely<T>(operation: string, fn: () => Promise<T>): Promise<T | null> {
    try {
      return await fn();
    } catch (err) {
      this.#deps.logger.warn(
        { err, operation },
        'session store failed; falling back to the conversation store',
      );
      this.#deps.events.fallback(operation);
      return null;
    }
  }
}

export function sessionKey(chat: ChatRef): string {
  return `${chat.platform}:${chat.chatId}`;
}
