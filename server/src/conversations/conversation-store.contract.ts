import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defineAttachmentCases } from './attachment-store.contract.ts';
import type { ConversationRecord, ConversationStore, NewConversation, Owner } from './conversation-store.ts';

export interface ConversationStoreFixture {
  store: ConversationStore;
  cleanup?: () => Promise<void>;
}

/**
 * The behaviour every ConversationStore must have, registered as one vitest `describe`. The factory gives a
 * fresh store per test; owners are unique per test, so stores may share one database. The store's clock
 * must follow real time: some cases wait for the next millisecond to get distinct `updatedAt` values.
 */
export function describeConversationStore(
  name: string,
  factory: () => Promise<ConversationStoreFixture>,
): void {
  describe(name, () => {
    let fixture: ConversationStoreFixture | undefined;
    let owner: Owner;

    /** The store under test; a getter so each test sees the one made for it. */
    const store = (): ConversationStore => {
      if (!fixture) throw new Error('store factory has not run');
      return fixture.store;
    };
    const create = (overrides: Partial<NewConversation> = {}): Promise<ConversationRecord> =>
      store().create({ owner, title: 'Weekend plans', platform: 'telegram', chatId: 'chat-1', ...overrides });

    beforeEach(async () => {
      fixture = await factory();
      owner = { clientId: `client-${randomUUID()}`, userId: `user-${randomUUID()}` };
    });

    afterEach(async () => {
      const done = fixture;
      fixture = undefined;
      await done?.store.close();
      await done?.cleanup?.();
    });

    it('creates a conversation and gets it back', async () => {
      const created = await create();
      expect(created).toMatchObject({
        owner,
        title: 'Weekend plans',
        platform: 'telegram',
        chatId: 'chat-1',
      });
      expect(created.messageCount).toBe(0);
      expect(created.updatedAt).toEqual(created.createdAt);
      expect(await store().get(created.id, owner)).toEqual(created);
    });

    it('creates a conversation with its first message, as create then append would', async () => {
      const { conversation, message } = await store().createWithMessage(
        { owner, title: 'Weekend plans', platform: 'telegram', chatId: 'chat-1', model: 'gpt-test' },
        { role: 'user', content: 'Hi' },
      );
      expect(conversation).toMatchObject({
        owner,
        title: 'Weekend plans',
        model: 'gpt-test',
        messageCount: 1,
      });
      expect(message).toMatchObject({ conversationId: conversation.id, seq: 1, role: 'user', content: 'Hi' });
      expect(conversation.updatedAt.getTime()).toBeGreaterThanOrEqual(message.createdAt.getTime());
      expect(await store().get(conversation.id, owner)).toEqual(conversation);
      expect(await store().recentMessages(conversation.id, 10)).toEqual([message]);
      const next = await store().append(conversation.id, { role: 'assistant', content: 'Hello!' });
      expect(next.seq).toBe(2);
    });

    it('gives each conversation its own id', async () => {
      const a = await create();
      const b = await create();
      expect(a.id).not.toBe(b.id);
    });

    it('returns null for another owner or an unknown id', async () => {
      const created = await create();
      expect(await store().get(created.id, { ...owner, clientId: `client-${randomUUID()}` })).toBeNull();
      expect(await store().get(created.id, { ...owner, userId: `user-${randomUUID()}` })).toBeNull();
      expect(await store().get('no-such-conversation', owner)).toBeNull();
      expect(await store().get(await deletedId(), owner)).toBeNull();
    });

    it('appends with increasing seq from 1 and bumps messageCount and updatedAt', async () => {
      const created = await create();
      await nextMillisecond();
      const first = await store().append(created.id, { role: 'user', content: 'Hi' });
      const second = await store().append(created.id, { role: 'assistant', content: 'Hello!' });
      expect(first).toMatchObject({
        conversationId: created.id,
        seq: 1,
        role: 'user',
        content: 'Hi',
        toolCalls: [],
      });
      expect(second.seq).toBe(2);
      expect(first.id).not.toBe(second.id);
      const after = await store().get(created.id, owner);
      expect(after?.messageCount).toBe(2);
      expect(after?.updatedAt.getTime()).toBeGreaterThan(created.updatedAt.getTime());
      expect(after?.updatedAt.getTime()).toBeGreaterThanOrEqual(second.createdAt.getTime());
      expect(after?.createdAt).toEqual(created.createdAt);
    });

    it('rejects an append to a missing conversation with not_found', async () => {
      await expect(
        store().append('no-such-conversation', { role: 'user', content: 'Hi' }),
      ).rejects.toMatchObject({
        code: 'not_found',
      });
      await expect(store().append(await deletedId(), { role: 'user', content: 'Hi' })).rejects.toMatchObject({
        code: 'not_found',
      });
    });

    it('round-trips tool calls', async () => {
      const created = await create();
      const toolCalls = [
        {
          id: 'call-1',
          name: 'get_weather',
          arguments: '{"location":"Oslo"}',
          result: '3°C, snow',
          isError: false,
        },
        { id: 'call-2', name: 'get_holidays', arguments: '{}', result: 'provider down', isError: true },
      ];
      const appended = await store().append(created.id, { role: 'assistant', content: '', toolCalls });
      expect(appended.toolCalls).toEqual(toolCalls);
      expect(await store().recentMessages(created.id, 10)).toEqual([appended]);
    });

    it('marks interrupted replies and only those', async () => {
      const created = await create();
      const partial = await store().append(created.id, {
        role: 'assistant',
        content: 'It is 18',
        interrupted: true,
      });
      const whole = await store().append(created.id, { role: 'assistant', content: 'done' });
      expect(partial.interrupted).toBe(true);
      expect(whole).not.toHaveProperty('interrupted');
      const stored = await store().recentMessages(created.id, 10);
      expect(stored).toEqual([partial, whole]);
      expect(stored[0]?.interrupted).toBe(true);
    });

    it('returns the newest messages oldest first', async () => {
      const created = await create();
      await appendMany(created.id, 10);
      const recent = await store().recentMessages(created.id, 3);
      expect(recent.map((m) => m.seq)).toEqual([8, 9, 10]);
      expect(recent.map((m) => m.content)).toEqual(['message 8', 'message 9', 'message 10']);
      const all = await store().recentMessages(created.id, 50);
      expect(all.map((m) => m.seq)).toEqual(range(1, 10));
      expect(await store().recentMessages(created.id, 0)).toEqual([]);
    });

    it('pages messages by afterSeq', async () => {
      const created = await create();
      await appendMany(created.id, 5);
      const page = async (afterSeq: number) =>
        (await store().messages(created.id, { afterSeq, limit: 2 })).map((m) => m.seq);
      expect(await page(0)).toEqual([1, 2]);
      expect(await page(2)).toEqual([3, 4]);
      expect(await page(4)).toEqual([5]);
      expect(await page(5)).toEqual([]);
      expect(await store().messages(created.id, { afterSeq: 0, limit: 0 })).toEqual([]);
    });

    it('lists only the owner’s conversations, most recently updated first, page by page', async () => {
      const created: ConversationRecord[] = [];
      for (let i = 0; i < 7; i++) {
        await nextMillisecond();
        created.push(await create({ title: `conversation ${i}` }));
      }
      await create({ owner: { ...owner, userId: `user-${randomUUID()}` } });
      await create({ owner: { ...owner, clientId: `client-${randomUUID()}` } });

      const pages = await listAll(owner, 3);
      expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
      expect(pages.flat().map((c) => c.id)).toEqual(created.map((c) => c.id).reverse());
      expect(await store().list(owner, { limit: 0 })).toEqual([]);
    });

    it('pages without duplicates or gaps when updatedAt values tie', async () => {
      const created = await Promise.all(range(1, 7).map((i) => create({ title: `conversation ${i}` })));
      const listed = (await listAll(owner, 3)).flat();
      expect(listed).toHaveLength(7);
      expect(new Set(listed.map((c) => c.id))).toEqual(new Set(created.map((c) => c.id)));
      const times = listed.map((c) => c.updatedAt.getTime());
      expect(times).toEqual([...times].sort((a, b) => b - a));
    });

    it('moves a conversation to the top of the list when a message is appended', async () => {
      const old = await create({ title: 'old' });
      await nextMillisecond();
      const recent = await create({ title: 'recent' });
      expect((await store().list(owner, { limit: 10 })).map((c) => c.id)).toEqual([recent.id, old.id]);
      await nextMillisecond();
      await store().append(old.id, { role: 'user', content: 'Back again' });
      const listed = await store().list(owner, { limit: 10 });
      expect(listed.map((c) => c.id)).toEqual([old.id, recent.id]);
      expect(listed[0]?.messageCount).toBe(1);
    });

    it('finds the latest conversation for a chat updated since a time', async () => {
      const older = await create({ chatId: 'chat-42' });
      await nextMillisecond();
      const newer = await create({ chatId: 'chat-42' });
      await create({ chatId: 'chat-43' });
      await create({ platform: 'cli', chatId: 'chat-42' });
      const stranger = { ...owner, userId: `user-${randomUUID()}` };
      await create({ owner: stranger, chatId: 'chat-42' });
      await nextMillisecond();
      await create({ chatId: 'chat-43' });

      const at = newer.updatedAt.getTime();
      const latest = (since: number, who: Owner = owner) =>
        store().latestForChat(who, 'telegram', 'chat-42', new Date(since));
      expect(await latest(older.updatedAt.getTime() - 60_000)).toEqual(newer);
      expect(await latest(at)).toEqual(newer);
      expect(await latest(at + 1)).toBeNull();
      expect(await latest(at - 60_000, { ...owner, clientId: `client-${randomUUID()}` })).toBeNull();
      expect((await latest(at - 60_000, stranger))?.owner).toEqual(stranger);
    });

    it('prefers the conversation with the newest message for a chat', async () => {
      const first = await create({ chatId: 'chat-7' });
      await nextMillisecond();
      await create({ chatId: 'chat-7' });
      await nextMillisecond();
      await store().append(first.id, { role: 'user', content: 'Still here' });
      expect((await store().latestForChat(owner, 'telegram', 'chat-7', first.createdAt))?.id).toBe(first.id);
    });

    it('sets the title', async () => {
      const created = await create();
      await store().setTitle(created.id, 'Trip to Bergen');
      expect((await store().get(created.id, owner))?.title).toBe('Trip to Bergen');
      expect((await store().list(owner, { limit: 1 }))[0]?.title).toBe('Trip to Bergen');
    });

    it('keeps per-conversation overrides and the running summary', async () => {
      const created = await store().create({
        owner,
        title: 'Tuned',
        platform: 'cli',
        chatId: '',
        systemPrompt: 'Answer in haiku.',
        model: 'small-model',
      });
      expect(created).toMatchObject({ systemPrompt: 'Answer in haiku.', model: 'small-model', summary: '' });
      await store().setSummary(created.id, 'They talked about Bergen.', 4);
      expect(await store().get(created.id, owner)).toMatchObject({
        systemPrompt: 'Answer in haiku.',
        model: 'small-model',
        summary: 'They talked about Bergen.',
        summarizedThroughSeq: 4,
      });
      await expect(store().setSummary(await deletedId(), 'x', 1)).rejects.toMatchObject({
        code: 'not_found',
      });
    });

    it('finds the owner’s newest conversation by its transcript fingerprint, and nobody else’s', async () => {
      const older = await create();
      const newer = await create();
      const unrelated = await create();
      expect(await store().advanceTranscript(older.id, '', 'fp-1')).toBe(true);
      await nextMillisecond();
      expect(await store().advanceTranscript(newer.id, '', 'fp-1')).toBe(true);
      await store().append(newer.id, { role: 'user', content: 'Hi' });
      expect((await store().findByTranscript(owner, 'fp-1'))?.id).toBe(newer.id);
      expect(await store().findByTranscript(owner, 'fp-2')).toBeNull();
      // A conversation without a fingerprint is never found by the empty one.
      expect(await store().findByTranscript(owner, '')).toBeNull();
      expect(unrelated.id).not.toBe(newer.id);
      const stranger = { clientId: owner.clientId, userId: `${owner.userId}-other` };
      expect(await store().findByTranscript(stranger, 'fp-1')).toBeNull();
    });

    it('advances a transcript fingerprint only from the value it still has', async () => {
      const created = await create();
      expect(await store().advanceTranscript(created.id, '', 'fp-a')).toBe(true);
      // A second writer holding the old value loses: the conversation has moved on.
      expect(await store().advanceTranscript(created.id, '', 'fp-b')).toBe(false);
      expect(await store().advanceTranscript(created.id, 'fp-a', 'fp-b')).toBe(true);
      expect(await store().findByTranscript(owner, 'fp-a')).toBeNull();
      expect((await store().findByTranscript(owner, 'fp-b'))?.id).toBe(created.id);
      expect(await store().advanceTranscript(await deletedId(), '', 'fp-c')).toBe(false);
    });

    it('rejects setting the title of a missing conversation with not_found', async () => {
      await expect(store().setTitle(await deletedId(), 'Nope')).rejects.toMatchObject({ code: 'not_found' });
    });

    it('deletes a conversation and its messages', async () => {
      const created = await create();
      const kept = await create();
      await appendMany(created.id, 3);
      await appendMany(kept.id, 2);
      expect(await store().delete(created.id, owner)).toBe(true);
      expect(await store().get(created.id, owner)).toBeNull();
      expect(await store().recentMessages(created.id, 10)).toEqual([]);
      expect(await store().messages(created.id, { afterSeq: 0, limit: 10 })).toEqual([]);
      expect(await store().list(owner, { limit: 10 })).toEqual([await store().get(kept.id, owner)]);
      expect(await store().recentMessages(kept.id, 10)).toHaveLength(2);
      expect(await store().delete(created.id, owner)).toBe(false);
    });

    it('refuses to delete for another owner or an unknown id', async () => {
      const created = await create();
      await appendMany(created.id, 1);
      expect(await store().delete(created.id, { ...owner, userId: `user-${randomUUID()}` })).toBe(false);
      expect(await store().delete(created.id, { ...owner, clientId: `client-${randomUUID()}` })).toBe(false);
      expect(await store().delete('no-such-conversation', owner)).toBe(false);
      expect(await store().get(created.id, owner)).not.toBeNull();
      expect(await store().recentMessages(created.id, 10)).toHaveLength(1);
    });

    it('numbers 50 concurrent appends 1 to 50 without gaps', async () => {
      const created = await create();
      const appended = await Promise.all(
        range(1, 50).map((i) => store().append(created.id, { role: 'user', content: `message ${i}` })),
      );
      expect(appended.map((m) => m.seq).sort((a, b) => a - b)).toEqual(range(1, 50));
      const stored = await store().messages(created.id, { afterSeq: 0, limit: 100 });
      expect(stored.map((m) => m.seq)).toEqual(range(1, 50));
      expect(new Set(stored.map((m) => m.content)).size).toBe(50);
      expect((await store().get(created.id, owner))?.messageCount).toBe(50);
    });

    it('leaves no messages behind when deleted during appends', async () => {
      const created = await create();
      const appends = range(1, 20).map((i) => store().append(created.id, { role: 'user', content: `m${i}` }));
      const deleted = store().delete(created.id, owner);
      const results = await Promise.allSettled([...appends, deleted]);
      for (const result of results) {
        if (result.status === 'rejected') expect(result.reason).toMatchObject({ code: 'not_found' });
      }
      expect(await deleted).toBe(true);
      expect(await store().get(created.id, owner)).toBeNull();
      expect(await store().recentMessages(created.id, 100)).toEqual([]);
    });

    defineAttachmentCases(store, () => owner);

    it('answers a ping', async () => {
      await expect(store().ping()).resolves.toBeUndefined();
    });

    async function appendMany(conversationId: string, count: number): Promise<void> {
      for (const i of range(1, count))
        await store().append(conversationId, { role: 'user', content: `message ${i}` });
    }

    /** A well-formed id of a conversation that no longer exists, whatever the store's id format. */
    async function deletedId(): Promise<string> {
      const gone = await create();
      await store().delete(gone.id, owner);
      return gone.id;
    }

    async function listAll(who: Owner, limit: number): Promise<ConversationRecord[][]> {
      const pages: ConversationRecord[][] = [];
      let after: { updatedAt: Date; id: string } | undefined;
      for (;;) {
        const page = await store().list(who, { limit, after });
        if (page.length === 0) return pages;
        pages.push(page);
        const last = page[page.length - 1] as ConversationRecord;
        after = { updatedAt: last.updatedAt, id: last.id };
        if (pages.length > 20) throw new Error('list does not advance past its cursor');
      }
    }
  });
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

/** Waits until the wall clock has moved past the current millisecond. */
async function nextMillisecond(): Promise<void> {
  const start = Date.now();
  while (Date.now() <= start) await new Promise((resolve) => setTimeout(resolve, 1));
}
