import { type Identity, identitiesOf } from '../people/identity.ts';
import type {
  ConversationCursor,
  ConversationRecord,
  ConversationStore,
  NewConversation,
  NewConversationWithMessage,
  NewMessage,
  Owner,
  StoredAttachment,
  StoredMessage,
} from './conversation-store.ts';

/**
 * A ConversationStore that lets a linked person reach the conversations of each of their identities.
 * Stores keep one owner per conversation (the identity that started it); for an owner with `linked` set,
 * each owner-scoped read asks the inner store once per identity and merges the answers, so both stores
 * (and their indexes on owner) serve people unchanged, and an unlink needs no rewrite of conversations:
 * each identity keeps what it started. An owner without `linked` passes straight through.
 */
export class LinkedConversationStore implements ConversationStore {
  readonly #inner: ConversationStore;

  constructor(inner: ConversationStore) {
    this.#inner = inner;
  }

  create(input: NewConversation): Promise<ConversationRecord> {
    const { clientId, userId } = input.owner;
    return this.#inner.create({ ...input, owner: { clientId, userId } });
  }

  createWithMessage(input: NewConversation, message: NewMessage): Promise<NewConversationWithMessage> {
    const { clientId, userId } = input.owner;
    return this.#inner.createWithMessage({ ...input, owner: { clientId, userId } }, message);
  }

  async get(id: string, owner: Owner): Promise<ConversationRecord | null> {
    for (const identity of identitiesOf(owner)) {
      const found = await this.#inner.get(id, identity);
      if (found) return found;
    }
    return null;
  }

  async list(
    owner: Owner,
    options: { limit: number; after?: ConversationCursor },
  ): Promise<ConversationRecord[]> {
    const identities = identitiesOf(owner);
    if (identities.length === 1) return this.#inner.list(only(identities), options);
    const pages = await Promise.all(identities.map((identity) => this.#inner.list(identity, options)));
    return pages.flat().sort(newestFirst).slice(0, Math.max(0, options.limit));
  }

  async latestForChat(
    owner: Owner,
    platform: string,
    chatId: string,
    since: Date,
  ): Promise<ConversationRecord | null> {
    const found = await Promise.all(
      identitiesOf(owner).map((identity) => this.#inner.latestForChat(identity, platform, chatId, since)),
    );
    return found.filter((c) => c !== null).sort(newestFirst)[0] ?? null;
  }

  async attachment(id: string, owner: Owner): Promise<StoredAttachment | null> {
    for (const identity of identitiesOf(owner)) {
      const found = await this.#inner.attachment(id, identity);
      if (found) return found;
    }
    return null;
  }

  async delete(id: string, owner: Owner): Promise<boolean> {
    const found = await this.get(id, owner);
    return found ? this.#inner.delete(id, found.owner) : false;
  }

  /** A fingerprint names one client's transcript: looked up for the calling identity only. */
  findByTranscript(owner: Owner, hash: string): Promise<ConversationRecord | null> {
    return this.#inner.findByTranscript({ clientId: owner.clientId, userId: owner.userId }, hash);
  }

  append(conversationId: string, message: NewMessage): Promise<StoredMessage> {
    return this.#inner.append(conversationId, message);
  }

  recentMessages(conversationId: string, limit: number): Promise<StoredMessage[]> {
    return this.#inner.recentMessages(conversationId, limit);
  }

  messages(conversationId: string, options: { afterSeq: number; limit: number }): Promise<StoredMessage[]> {
    return this.#inner.messages(conversationId, options);
  }

  setTitle(id: string, title: string): Promise<void> {
    return this.#inner.setTitle(id, title);
  }

  setSummary(id: string, summary: string, throughSeq: number): Promise<void> {
    return this.#inner.setSummary(id, summary, throughSeq);
  }

  advanceTranscript(id: string, from: string, to: string): Promise<boolean> {
    return this.#inner.advanceTranscript(id, from, to);
  }

  ping(): Promise<void> {
    return this.#inner.ping();
  }

  close(): Promise<void> {
    return this.#inner.close();
  }
}

function only(identities: readonly Identity[]): Identity {
  const [identity] = identities;
  if (!identity) throw new Error('an owner has at least one identity');
  return identity;
}

/** The stores' listing order: updatedAt, then id, both descending. */
function newestFirst(a: ConversationRecord, b: ConversationRecord): number {
  return b.updatedAt.getTime() - a.updatedAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}
