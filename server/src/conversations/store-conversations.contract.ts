import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import type { StoreContractContext } from './store-contract-context.ts';

/** Contract cases for a conversation's own record: create, get, title and overrides, delete. */
export function defineConversationCases(t: StoreContractContext): void {
  it('creates a conversation and gets it back', async () => {
    const owner = t.owner();
    const created = await t.create();
    expect(created).toMatchObject({
      owner,
      title: 'Weekend plans',
      platform: 'telegram',
      chatId: 'chat-1',
    });
    expect(created.messageCount).toBe(0);
    expect(created.updatedAt).toEqual(created.createdAt);
    expect(await t.store().get(created.id, owner)).toEqual(created);
  });

  it('creates a conversation with its first message, as create then append would', async () => {
    const owner = t.owner();
    const { conversation, message } = await t
      .store()
      .createWithMessage(
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
    expect(await t.store().get(conversation.id, owner)).toEqual(conversation);
    expect(await t.store().recentMessages(conversation.id, 10)).toEqual([message]);
    const next = await t.store().append(conversation.id, { role: 'assistant', content: 'Hello!' });
    expect(next.seq).toBe(2);
  });

  it('gives each conversation its own id', async () => {
    const a = await t.create();
    const b = await t.create();
    expect(a.id).not.toBe(b.id);
  });

  it('returns null for another owner or an unknown id', async () => {
    const owner = t.owner();
    const created = await t.create();
    expect(await t.store().get(created.id, { ...owner, clientId: `client-${randomUUID()}` })).toBeNull();
    expect(await t.store().get(created.id, { ...owner, userId: `user-${randomUUID()}` })).toBeNull();
    expect(await t.store().get('no-such-conversation', owner)).toBeNull();
    expect(await t.store().get(await t.deletedId(), owner)).toBeNull();
  });

  it('sets the title', async () => {
    const owner = t.owner();
    const created = await t.create();
    await t.store().setTitle(created.id, 'Trip to Bergen');
    expect((await t.store().get(created.id, owner))?.title).toBe('Trip to Bergen');
    expect((await t.store().list(owner, { limit: 1 }))[0]?.title).toBe('Trip to Bergen');
  });

  it('keeps per-conversation overrides and the running summary', async () => {
    const owner = t.owner();
    const created = await t.store().create({
      owner,
      title: 'Tuned',
      platform: 'cli',
      chatId: '',
      systemPrompt: 'Answer in haiku.',
      model: 'small-model',
    });
    expect(created).toMatchObject({ systemPrompt: 'Answer in haiku.', model: 'small-model', summary: '' });
    await t.store().setSummary(created.id, 'They talked about Bergen.', 4);
    expect(await t.store().get(created.id, owner)).toMatchObject({
      systemPrompt: 'Answer in haiku.',
      model: 'small-model',
      summary: 'They talked about Bergen.',
      summarizedThroughSeq: 4,
    });
    await expect(t.store().setSummary(await t.deletedId(), 'x', 1)).rejects.toMatchObject({
      code: 'not_found',
    });
  });

  it('rejects setting the title of a missing conversation with not_found', async () => {
    await expect(t.store().setTitle(await t.deletedId(), 'Nope')).rejects.toMatchObject({
      code: 'not_found',
    });
  });

  it('deletes a conversation and its messages', async () => {
    const owner = t.owner();
    const created = await t.create();
    const kept = await t.create();
    await t.appendMany(created.id, 3);
    await t.appendMany(kept.id, 2);
    expect(await t.store().delete(created.id, owner)).toBe(true);
    expect(await t.store().get(created.id, owner)).toBeNull();
    expect(await t.store().recentMessages(created.id, 10)).toEqual([]);
    expect(await t.store().messages(created.id, { afterSeq: 0, limit: 10 })).toEqual([]);
    expect(await t.store().list(owner, { limit: 10 })).toEqual([await t.store().get(kept.id, owner)]);
    expect(await t.store().recentMessages(kept.id, 10)).toHaveLength(2);
    expect(await t.store().delete(created.id, owner)).toBe(false);
  });

  it('refuses to delete for another owner or an unknown id', async () => {
    const owner = t.owner();
    const created = await t.create();
    await t.appendMany(created.id, 1);
    expect(await t.store().delete(created.id, { ...owner, userId: `user-${randomUUID()}` })).toBe(false);
    expect(await t.store().delete(created.id, { ...owner, clientId: `client-${randomUUID()}` })).toBe(false);
    expect(await t.store().delete('no-such-conversation', owner)).toBe(false);
    expect(await t.store().get(created.id, owner)).not.toBeNull();
    expect(await t.store().recentMessages(created.id, 10)).toHaveLength(1);
  });
}
