import type { TelegramClient } from 'telegram-test-api/lib/modules/telegramClient';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pdf, png, voiceNote } from '../support/attachment-fixtures.ts';
import { imagesIn, type OpenAiStandIn, startOpenAiStandIn } from '../support/openai-stand-in.ts';
import { startTelegramEmulator, type TelegramEmulator } from '../support/telegram-emulator.ts';
import { type BotStack, startBotStack, waitForBotMessages } from '../support/telegram-stack.ts';

// Photos, albums, voice notes and documents from Telegram through the real bot and the real server (two
// processes): the emulator serves getFile and the file downloads, the OpenAI stand-in sees the images and
// transcribes the voice.

const TOKEN = '123456:parley-e2e-files-token';
const BOT_KEY = 'bot-key-0123456789abcdef';

let standIn: OpenAiStandIn;
let emulator: TelegramEmulator;
let stack: BotStack | undefined;

function user(id: number): TelegramClient {
  return emulator.server.getClient(TOKEN, { userId: id, chatId: id, type: 'private', userName: `u${id}` });
}

/** A user message carrying media: the emulator client's message shape, without a `text`. */
async function sendMedia(client: TelegramClient, fields: Record<string, unknown>): Promise<void> {
  const message = client.makeMessage('', fields) as unknown as Record<string, unknown>;
  delete message.text;
  await client.sendMessage(message as unknown as ReturnType<TelegramClient['makeMessage']>);
}

const photoOf = (data: Buffer) => [{ ...emulator.addFile(data), width: 1, height: 1 }];

beforeAll(async () => {
  standIn = await startOpenAiStandIn();
  emulator = await startTelegramEmulator();
  stack = await startBotStack({ token: TOKEN, botKey: BOT_KEY, modelUrl: standIn.url, emulator });
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  await emulator?.close();
  await standIn?.close();
});

describe('files sent to the Telegram bot', () => {
  it('shows a photo and its caption to the model', async () => {
    const photo = png();
    await sendMedia(user(2001), { photo: photoOf(photo), caption: 'What is in this picture?' });
    const [reply] = await waitForBotMessages(emulator, TOKEN, 2001, 1);
    expect(reply?.text).toContain('Echo: What is in this picture?');
    expect(reply?.text).toContain(`[saw 1 image: image/png ${photo.length} bytes]`);
    expect(imagesIn(standIn.requests.at(-1)?.body ?? {}).map((i) => i.data.equals(photo))).toEqual([true]);
  });

  it('sends an album as one message', async () => {
    const client = user(2002);
    await sendMedia(client, { photo: photoOf(png()), media_group_id: 'trip', caption: 'Our trip' });
    await sendMedia(client, { photo: photoOf(png()), media_group_id: 'trip' });
    const [reply] = await waitForBotMessages(emulator, TOKEN, 2002, 1);
    expect(reply?.text).toContain('Echo: Our trip');
    expect(reply?.text).toContain('[saw 2 images');
  });

  it('transcribes a voice note and shows what it heard in the reply', async () => {
    const voice = {
      ...emulator.addFile(voiceNote('remind me to buy milk')),
      duration: 2,
      mime_type: 'audio/ogg',
    };
    await sendMedia(user(2003), { voice });
    const [reply] = await waitForBotMessages(emulator, TOKEN, 2003, 1);
    expect(reply?.text).toBe('🎤 <i>remind me to buy milk</i>\n\nEcho: remind me to buy milk');
    expect(standIn.transcriptions.at(-1)?.fileName).toBe('voice.ogg');
  });

  it('reads a PDF document', async () => {
    const document = {
      ...emulator.addFile(pdf('Invoice total 42 EUR'), { name: 'invoice.pdf' }),
      file_name: 'invoice.pdf',
    };
    await sendMedia(user(2004), { document, caption: 'How much is it?' });
    const [reply] = await waitForBotMessages(emulator, TOKEN, 2004, 1);
    expect(reply?.text).toContain('Invoice total 42 EUR');
  });

  it('answers Telegram’s 20 MB limit for bots, and refuses a sticker politely', async () => {
    const client = user(2005);
    // The message does not say its size: getFile refuses it, as Telegram does for files over 20 MB.
    const { file_size: _, ...big } = emulator.addFile(Buffer.from('x'), { size: 25 * 1024 * 1024 });
    await sendMedia(client, { document: { ...big, file_name: 'film.pdf' }, caption: 'watch this' });
    const [tooBig] = await waitForBotMessages(emulator, TOKEN, 2005, 1);
    expect(tooBig?.text).toContain('Telegram lets bots download files only up to 20 MB');
    await sendMedia(client, { sticker: { ...emulator.addFile(Buffer.from('webp')), width: 1, height: 1 } });
    const [sticker] = await waitForBotMessages(emulator, TOKEN, 2005, 1);
    expect(sticker?.text).toContain('I can’t watch videos or read stickers yet');
  });
});
