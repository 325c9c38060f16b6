import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { useCongoClient } from '../../../tests/support/congo-client.ts';
import type { ConversationStore } from './conversation-store.ts';
import { EmbeddedConversationStore } from './embedded-conversation-store.ts';
import { LinkedConversationStore } from './linked-conversation-store.ts';
import { MongoConversationStore } from './mongo-conversation-store.ts';

const tg = { clientId: 'telegram', userId: '42' };
const cli = { clientId: 'cli', userId: 'ann' };
const eve = { clientId: 'cli', userId: 'eve' };

/** A clock a minute further on each call: every conversation has its own updatedAt. */
function minutes(): () => Date {
  let minute = 0;
  return () => new Date(Date.UTC(2026, 11, 6, 12, minute++));
}

/** A linked person's reach, over a store built by `open` (both stores run it). */
function describeLinkedReach(name: string, open: (clock: () => Date) => Promise<ConversationStore>) {
  describe(name, () => {
    async function setup() {
      const store = new LinkedConversationStore(await open(minutes()));
      const create = (owner: typeof tg, title: string, chatId = '') =>
        store.create({ owner, title, platform: chatId ? 'telegram' : 'cli', chatId });
      return { store, create };
    }

    it('lists the conversations of every identity of a person, newest first, page by page', async () => {
      const { store, create } = await setup();
      for (const [owner, title] of [
        [tg, 't1'],
        [cli, 'c1'],
        [eve, 'e1'],
        [tg, 't2'],
        [cli, 'c2'],
      ] as const)
        await create(owner, title);
      const person = { ...tg, linked: [tg, cli] };
      const first = await store.list(person, { limit: 3 });
      expect(first.map((c) => c.title)).toEqual(['c2', 't2', 'c1']);
      const last = first.at(-1);
      const rest = await store.list(person, { limit: 3, ...(last ? { after: last } : {}) });
      expect(rest.map((c) => c.title)).toEqual(['t1']);
      expect((await store.list(tg, { limit: 10 })).map((c) => c.title)).toEqual(['t2', 't1']);
    });

    it('reaches, finds by chat and deletes a linked identity’s conversation, never a stranger’s', async () => {
      const { store, create } = await setup();
      const theirs = await create(cli, 'from the terminal');
      const chat = await create(cli, 'a chat', '42');
      const strangers = await create(eve, 'private');
      const person = { ...tg, linked: [tg, cli] };
      expect((await store.get(theirs.id, person))?.owner).toEqual(cli);
      expect(await store.get(strangers.id, person)).toBeNull();
      expect(await store.get(theirs.id, tg)).toBeNull();
      const since = new Date(0);
      expect((await store.latestForChat(person, 'telegram', '42', since))?.id).toBe(chat.id);
      expect(await store.delete(strangers.id, person)).toBe(false);
      expect(await store.delete(theirs.id, person)).toBe(true);
      expect(await store.get(theirs.id, cli)).toBeNull();
    });
  });
}

describeLinkedReach('LinkedConversationStore over the embedded store', async (clock) => {
  return new EmbeddedConversationStore({ path: ':memory:', clock });
});

describe('LinkedConversationStore over MongoDB (CongoDB)', () => {
  const congo = useCongoClient();
  describeLinkedReach('reach', async (clock) => {
    const store = new MongoConversationStore({
      db: congo.client().db(`parley_linked_${randomUUID().slice(0, 8)}`),
      clock,
    });
    await store.ensureIndexes();
    return store;
  });
});
