import { Conversation } from '@parley/rpc';
import { describe, expect, it } from 'vitest';
import { textsFor } from '../i18n/texts.ts';
import { botHarness, command, tap } from '../testing/bot-harness.ts';

const NOT_YOURS = textsFor('en').t('delete.notYours');

const current = Conversation.create({ id: 'c-now', title: 'Trip', messageCount: 4 });

describe('/delete', () => {
  it('asks the server which conversation is current, so a restarted bot deletes the right one', async () => {
    const bot = botHarness({ parley: { getSession: async () => ({ conversation: current }) } });
    await bot.send(command(1, '/delete'));
    expect(bot.parley.requests('getSession')).toEqual([
      { session: { platform: 'telegram', userId: '7', chatId: '7' } },
    ]);
    const [confirm] = bot.messages();
    expect(confirm?.text).toMatch(/^Delete <b>Trip<\/b> \(4 messages\)\?/);
    expect(confirm?.reply_markup).toEqual({
      inline_keyboard: [
        [
          { text: '🗑 Delete', callback_data: 'd:c-now:7' },
          { text: 'Keep', callback_data: 'k:7' },
        ],
      ],
    });
  });

  it('says there is nothing to delete when the chat has no current conversation', async () => {
    const bot = botHarness();
    await bot.send(command(1, '/delete'));
    expect(bot.messages()[0]?.text).toBe('There is no conversation to delete here.');
  });

  it('in a group, lets only the member who asked confirm or keep', async () => {
    const bot = botHarness();
    await bot.send(tap(2, 'd:c-now:8', { group: true, from: 9 }));
    await bot.send(tap(3, 'k:8', { group: true, from: 9 }));
    expect(bot.parley.requests('deleteConversation')).toEqual([]);
    expect(bot.callsTo('answerCallbackQuery').map((a) => a.text)).toEqual([NOT_YOURS, NOT_YOURS]);
    expect(bot.callsTo('editMessageText')).toEqual([]);
    await bot.send(tap(4, 'd:c-now:8', { group: true, from: 8 }));
    expect(bot.parley.requests('deleteConversation')).toEqual([
      {
        conversationId: 'c-now',
        session: { platform: 'telegram', userId: 'group:-100', chatId: '-100' },
        requestId: 'tg-4',
      },
    ]);
  });
});
