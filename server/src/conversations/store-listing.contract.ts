import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import type { ConversationRecord, Owner } from './conversation-store.ts';
import { nextMillisecond, range, type StoreContractContext } from './store-contract-context.ts';

/** Contract cases for finding conversations: the owner's list page by page, and the latest for a chat. */
export function defineListingCases(t: StoreContractContext): void {
  it('lists only the owner’s conversations, most recently updated first, page by page', async () => {
    const owner = t.owner();
    const created: ConversationRecord[] = [];
    for (let i = 0; i < 7; i++) {
      await nextMillisecond();
      created.push(await t.create({ title: `conversation ${i}` }));
    }
    await t.create({ owner: { ...owner, userId: `user-${randomUUID()}` } });
    await t.create({ owner: { ...owner, clientId: `client-${randomUUID()}` } });

    const pages = await listAll(owner, 3);
    expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
    expect(pages.flat().map((c) => c.id)).toEqual(created.map((c) => c.id).reverse());
    expect(await t.store().list(owner, { limit: 0 })).toEqual([]);
  });

  it('pages without duplicates or gaps when updatedAt values tie', async () => {
    const owner = t.owner();
    const created = await Promise.all(range(1, 7).map((i) => t.create({ title: `conversation ${i}` })));
    const listed = (await listAll(owner, 3)).flat();
    expect(listed).toHaveLength(7);
    expect(new Set(listed.map((c) => c.id))).toEqual(new Set(created.map((c) => c.id)));
    const times = listed.map((c) => c.updatedAt.getTime());
    expect(times).toEqual([...times].sort((a, b) => b - a));
  });

  it('moves a conversation to the top of the list when a message is appended', async () => {
    const owner = t.owner();
    const old = await t.create({ title: 'old' });
    await nextMillisecond();
    const recent = await t.create({ title: 'recent' });
    expect((await t.store().list(owner, { limit: 10 })).map((c) => c.id)).toEqual([recent.id, old.id]);
    await nextMillisecond();
    await t.store().append(old.id, { role: 'user', content: 'Back again' });
    const listed = await t.store().list(owner, { limit: 10 });
    expect(listed.map((c) => c.id)).toEqual([old.id, recent.id]);
    expect(listed[0]?.messageCount).toBe(1);
  });

  it('finds the latest conversation for a chat updated since a time', async () => {
    const owner = t.owner();
    const older = await t.create({ chatId: 'chat-42' });
    await nextMillisecond();
    const newer = await t.create({ chatId: 'chat-42' });
    await t.create({ chatId: 'chat-43' });
    await t.create({ platform: 'cli', chatId: 'chat-42' });
    const stranger = { ...owner, userId: `user-${randomUUID()}` };
    await t.create({ owner: stranger, chatId: 'chat-42' });
    await nextMillisecond();
    await t.create({ chatId: 'chat-43' });

    const at = newer.updatedAt.getTime();
    const latest = (since: number, who: Owner = owner) =>
      t.store().latestForChat(who, 'telegram', 'chat-42', new Date(since));
    expect(await latest(older.updatedAt.getTime() - 60_000)).toEqual(newer);
    expect(await latest(at)).toEqual(newer);
    expect(await latest(at + 1)).toBeNull();
    expect(await latest(at - 60_000, { ...owner, clientId: `client-${randomUUID()}` })).toBeNull();
    expect((await latest(at - 60_000, stranger))?.owner).toEqual(stranger);
  });

  it('prefers the conversation with the newest message for a chat', async () => {
    const owner = t.owner();
    const first = await t.create({ chatId: 'chat-7' });
    await nextMillisecond();
    await t.create({ chatId: 'chat-7' });
    await nextMillisecond();
    await t.store().append(first.id, { role: 'user', content: 'Still here' });
    expect((await t.store().latestForChat(owner, 'telegram', 'chat-7', first.createdAt))?.id).toBe(first.id);
  });

  async function listAll(who: Owner, limit: number): Promise<ConversationRecord[][]> {
    const pages: ConversationRecord[][] = [];
    let after: { updatedAt: Date; id: string } | undefined;
    for (;;) {
      const page = await t.store().list(who, { limit, after });
      if (page.length === 0) return pages;
      pages.push(page);
      const last = page[page.length - 1] as ConversationRecord;
      after = { updatedAt: last.updatedAt, id: last.id };
      if (pages.length > 20) throw new Error('list does not advance past its cursor');
    }
  }
}
