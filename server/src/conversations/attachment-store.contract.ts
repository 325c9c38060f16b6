import { randomBytes, randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import type { ConversationStore, NewAttachment, Owner } from './conversation-store.ts';

/**
 * The attachment cases of the store contract, registered inside `describeConversationStore`: files are
 * stored with their message, read back whole by their owner only, and deleted with the conversation.
 */
export function defineAttachmentCases(store: () => ConversationStore, owner: () => Owner): void {
  const create = () => store().create({ owner: owner(), title: 'Files', platform: '', chatId: '' });

  // Over one MongoDB chunk (255 KiB) and not a multiple of it, so chunking and reassembly are exercised.
  const photo = (): NewAttachment => ({
    kind: 'image',
    mediaType: 'image/png',
    name: 'cat.png',
    data: randomBytes(600 * 1024 + 17),
  });
  const voice: NewAttachment = {
    kind: 'audio',
    mediaType: 'audio/ogg',
    name: '',
    data: Buffer.from('OggS voice'),
    transcript: 'what is the weather',
  };
  const notes: NewAttachment = {
    kind: 'document',
    mediaType: 'text/markdown',
    name: 'notes.md',
    data: Buffer.from('# Notes'),
    text: '# Notes',
    truncated: true,
  };

  it('stores the first message of a new conversation with its attachments, readable by its owner', async () => {
    const { conversation, message } = await store().createWithMessage(
      { owner: owner(), title: 'Files', platform: '', chatId: '' },
      { role: 'user', content: 'listen', attachments: [voice] },
    );
    expect(message.attachments).toEqual([
      expect.objectContaining({ kind: 'audio', transcript: voice.transcript }),
    ]);
    const id = message.attachments?.[0]?.id ?? '';
    expect((await store().attachment(id, owner()))?.conversationId).toBe(conversation.id);
    expect(await store().recentMessages(conversation.id, 1)).toEqual([message]);
  });

  it('stores attachments with their message and returns their metadata in order', async () => {
    const conversation = await create();
    const image = photo();
    const stored = await store().append(conversation.id, {
      role: 'user',
      content: 'look',
      attachments: [image, voice, notes],
    });
    expect(stored.attachments?.map((a) => [a.kind, a.mediaType, a.name, a.sizeBytes])).toEqual([
      ['image', 'image/png', 'cat.png', image.data.byteLength],
      ['audio', 'audio/ogg', '', voice.data.byteLength],
      ['document', 'text/markdown', 'notes.md', notes.data.byteLength],
    ]);
    expect(stored.attachments?.[1]?.transcript).toBe('what is the weather');
    expect(stored.attachments?.[2]).toMatchObject({ text: '# Notes', truncated: true });
    const [read] = await store().recentMessages(conversation.id, 1);
    expect(read?.attachments).toEqual(stored.attachments);
    const plain = await store().append(conversation.id, { role: 'assistant', content: 'nice' });
    expect(plain.attachments).toBeUndefined();
  });

  it('reads an attachment’s bytes back whole for its owner only', async () => {
    const conversation = await create();
    const image = photo();
    const stored = await store().append(conversation.id, { role: 'user', content: '', attachments: [image] });
    const id = stored.attachments?.[0]?.id ?? '';
    const read = await store().attachment(id, owner());
    expect(read?.conversationId).toBe(conversation.id);
    expect(read?.meta).toEqual(stored.attachments?.[0]);
    expect(Buffer.compare(read?.data ?? Buffer.alloc(0), Buffer.from(image.data))).toBe(0);
    expect(await store().attachment(id, { ...owner(), userId: `user-${randomUUID()}` })).toBeNull();
    expect(await store().attachment(id, { ...owner(), clientId: `client-${randomUUID()}` })).toBeNull();
    expect(await store().attachment('no-such-attachment', owner())).toBeNull();
  });

  it('deletes attachments with their conversation', async () => {
    const conversation = await create();
    const kept = await create();
    const gone = await store().append(conversation.id, { role: 'user', content: '', attachments: [voice] });
    const stays = await store().append(kept.id, { role: 'user', content: '', attachments: [notes] });
    expect(await store().delete(conversation.id, owner())).toBe(true);
    expect(await store().attachment(gone.attachments?.[0]?.id ?? '', owner())).toBeNull();
    expect(await store().attachment(stays.attachments?.[0]?.id ?? '', owner())).not.toBeNull();
  });

  it('stores nothing when the conversation is missing', async () => {
    const conversation = await create();
    await store().delete(conversation.id, owner());
    await expect(
      store().append(conversation.id, { role: 'user', content: '', attachments: [voice] }),
    ).rejects.toMatchObject({ code: 'not_found' });
    expect(await store().recentMessages(conversation.id, 5)).toEqual([]);
  });
}
