import { AttachmentKind, Message, Role, TurnEvent } from '@parley/rpc';
import { playTurn, turnEvent } from '@parley/rpc/testing';
import type { Update } from 'telegraf/types';
import { describe, expect, it } from 'vitest';
import { botHarness } from '../testing/bot-harness.ts';

const chat = { id: 7, type: 'private' as const, first_name: 'Ann' };
const from = { id: 7, is_bot: false, first_name: 'Ann' };

function update(updateId: number, fields: Record<string, unknown>): Update {
  return { update_id: updateId, message: { message_id: updateId, date: 0, chat, from, ...fields } } as Update;
}

const photoSizes = (id: string) => [
  { file_id: `${id}-small`, file_unique_id: 's', width: 90, height: 90, file_size: 1_000 },
  { file_id: `${id}-large`, file_unique_id: 'l', width: 1280, height: 1280, file_size: 200_000 },
];

/** A turn whose `started` carries the stored user message with a voice note's transcript. */
function heardTurn(transcript: string) {
  const userMessage = Message.create({
    id: 'm-user',
    role: Role.USER,
    content: transcript,
    attachments: [{ id: 'a1', kind: AttachmentKind.AUDIO, mediaType: 'audio/ogg', name: '', transcript }],
  });
  const started = TurnEvent.create({
    event: { oneofKind: 'started', started: { conversationId: 'c1', newConversation: false, userMessage } },
  });
  return [started, turnEvent.delta('It is noon.'), turnEvent.done('c1', 'It is noon.')];
}

describe('files from Telegram', () => {
  it('downloads the largest photo size and sends it with the caption', async () => {
    const bot = botHarness({ files: { 'p-large': Buffer.from('png bytes') } });
    await bot.send(update(1, { photo: photoSizes('p'), caption: 'what is this?' }));
    expect(bot.downloads).toEqual(['p-large']);
    const [request] = bot.parley.requests('streamContinueConversation');
    expect(request?.message).toBe('what is this?');
    expect(request?.attachments?.map((a) => Buffer.from(a.data).toString())).toEqual(['png bytes']);
  });

  it('sends an album as one message, with its caption', async () => {
    const bot = botHarness();
    await bot.receive(update(1, { photo: photoSizes('a'), media_group_id: 'g1', caption: 'our trip' }));
    await bot.send(update(2, { photo: photoSizes('b'), media_group_id: 'g1' }));
    const requests = bot.parley.requests('streamContinueConversation');
    expect(requests).toHaveLength(1);
    expect(requests[0]?.message).toBe('our trip');
    expect(bot.downloads).toEqual(['a-large', 'b-large']);
  });

  it('shows what it heard in a voice note above the reply', async () => {
    const bot = botHarness({
      parley: {
        streamContinueConversation: (_req, opts) => playTurn(heardTurn('what time is it'), opts?.signal),
      },
    });
    await bot.send(
      update(1, { voice: { file_id: 'v', file_unique_id: 'v', duration: 2, mime_type: 'audio/ogg' } }),
    );
    const [request] = bot.parley.requests('streamContinueConversation');
    expect(request?.message).toBe('');
    expect(request?.attachments?.[0]).toMatchObject({ mediaType: 'audio/ogg', fileName: 'voice.ogg' });
    const last = bot.messages().at(-1);
    expect(last?.text).toBe('🎤 <i>what time is it</i>\n\nIt is noon.');
  });

  it('answers a file over Telegram’s 20 MB bot limit without downloading it', async () => {
    const bot = botHarness();
    const document = {
      file_id: 'd',
      file_unique_id: 'd',
      file_name: 'movie.pdf',
      file_size: 30 * 1024 * 1024,
    };
    await bot.send(update(1, { document, caption: 'summarise' }));
    expect(bot.downloads).toEqual([]);
    expect(bot.parley.requests('streamContinueConversation')).toEqual([]);
    expect(bot.messages()[0]?.text).toBe(
      'That file is 30 MB: Telegram lets bots download files only up to 20 MB. Please send a smaller one (or compress it).',
    );
  });

  it('politely refuses stickers and videos', async () => {
    const bot = botHarness();
    await bot.send(update(1, { sticker: { file_id: 's', file_unique_id: 's', width: 1, height: 1 } }));
    await bot.send(
      update(2, { video: { file_id: 'v', file_unique_id: 'v', width: 1, height: 1, duration: 1 } }),
    );
    expect(bot.parley.requests('streamContinueConversation')).toEqual([]);
    expect(bot.messages().map((m) => m.text)).toEqual([
      'I can’t watch videos or read stickers yet. Send me text, a photo, a voice message or a document.',
      'I can’t watch videos or read stickers yet. Send me text, a photo, a voice message or a document.',
    ]);
  });
});
