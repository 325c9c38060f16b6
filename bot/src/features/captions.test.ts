import type { Update } from 'telegraf/types';
import { describe, expect, it } from 'vitest';
import { botHarness } from '../testing/bot-harness.ts';

function photo(updateId: number, caption: string | undefined, group = false): Update {
  const chat = group
    ? { id: -100, type: 'group' as const, title: 'Friends' }
    : { id: 7, type: 'private' as const, first_name: 'Ann' };
  const from = { id: 7, is_bot: false, first_name: 'Ann' };
  const photoSizes = [{ file_id: 'f', file_unique_id: 'u', width: 1, height: 1 }];
  const entities = group ? [{ type: 'mention' as const, offset: 0, length: 10 }] : [];
  return {
    update_id: updateId,
    message: {
      message_id: updateId,
      date: 0,
      chat,
      from,
      photo: photoSizes,
      ...(caption === undefined ? {} : { caption, caption_entities: entities }),
    },
  } as Update;
}

function document(updateId: number, caption: string): Update {
  const chat = { id: 7, type: 'private' as const, first_name: 'Ann' };
  const from = { id: 7, is_bot: false, first_name: 'Ann' };
  return {
    update_id: updateId,
    message: {
      message_id: updateId,
      date: 0,
      chat,
      from,
      document: { file_id: 'f', file_unique_id: 'u' },
      caption,
    },
  } as Update;
}

describe('captions', () => {
  it('reads a photo’s or document’s caption as the message text', async () => {
    const bot = botHarness();
    await bot.send(photo(1, 'what is in this picture?'));
    await bot.send(document(2, 'summarise the attached file'));
    expect(bot.parley.requests('streamContinueConversation').map((r) => r.message)).toEqual([
      'what is in this picture?',
      'summarise the attached file',
    ]);
  });

  it('takes a group photo whose caption mentions the bot, without the mention', async () => {
    const bot = botHarness();
    await bot.send(photo(1, '@ParleyBot look at this', true));
    expect(bot.parley.requests('streamContinueConversation')[0]).toMatchObject({ message: 'look at this' });
  });

  it('sends a photo without a caption with no text', async () => {
    const bot = botHarness();
    await bot.send(photo(1, undefined));
    const [request] = bot.parley.requests('streamContinueConversation');
    expect(request?.message).toBe('');
    expect(request?.attachments).toHaveLength(1);
  });

  it('leaves a group photo without a caption alone', async () => {
    const bot = botHarness();
    await bot.send(photo(1, undefined, true));
    expect(bot.parley.requests('streamContinueConversation')).toEqual([]);
    expect(bot.downloads).toEqual([]);
  });
});
