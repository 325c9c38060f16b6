import type { ConversationRecord, ConversationStore, NewConversation, Owner } from './conversation-store.ts';

/**
 * What every group of store contract cases works with: getters, because the store and owner are made
 * afresh for each test by `describeConversationStore`.
 */
export interface StoreContractContext {
  store(): ConversationStore;
  owner(): Owner;
  /** A conversation of the test's owner with fixed defaults. */
  create(overrides?: Partial<NewConversation>): Promise<ConversationRecord>;
  appendMany(conversationId: string, count: number): Promise<void>;
  /** A well-formed id of a conversation that no longer exists, whatever the store's id format. */
  deletedId(): Promise<string>;
}

export function storeContractContext(
  store: () => ConversationStore,
  owner: () => Owner,
): StoreContractContext {
  const create = (overrides: Partial<NewConversation> = {}): Promise<ConversationRecord> =>
    store().create({
      owner: owner(),
      title: 'Weekend plans',
      platform: 'telegram',
      chatId: 'chat-1',
      ...overrides,
    });
  return {
    store,
    owner,
    create,
    async appendMany(conversationId, count) {
      for (const i of range(1, count))
        await store().append(conversationId, { role: 'user', content: `message ${i}` });
    },
    async deletedId() {
      const gone = await create();
      await store().delete(gone.id, owner());
      return gone.id;
    },
  };
}

export function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

/** Waits until the wall clock has moved past the current millisecond. */
export async function nextMillisecond(): Promise<void> {
  const start = Date.now();
  while (Date.now() <= start) await new Promise((resolve) => setTimeout(resolve, 1));
}
