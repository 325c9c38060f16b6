import { Conversation } from '@parley/rpc';
import { describe, expect, it } from 'vitest';
import { botHarness, command } from '../testing/bot-harness.ts';

describe('/history', () => {
  it('marks the conversation the server says is current, not the last one this bot saw', async () => {
    const older = Conversation.create({ id: 'c-old', title: 'Older', messageCount: 2 });
    const newer = Conversation.create({ id: 'c-new', title: 'Newer', messageCount: 2 });
    const bot = botHarness({
      parley: {
        listConversations: async () => ({ conversations: [newer, older], nextPageToken: '' }),
        getSession: async () => ({ conversation: older }),
      },
    });
    await bot.send(command(1, '/history'));
    const lines = String(bot.messages()[0]?.text).split('\n');
    expect(lines[1]).toMatch(/^1\. Newer — 2 messages$/);
    expect(lines[2]).toMatch(/^2\. Older — 2 messages ◀ current$/);
  });

  it('speaks Russian to a Russian-speaking user, with Russian plural forms', async () => {
    const titled = (id: string, messageCount: number) =>
      Conversation.create({ id, title: `Разговор ${id}`, messageCount });
    const bot = botHarness({
      parley: {
        listConversations: async () => ({
          conversations: [titled('a', 1), titled('b', 2), titled('c', 5)],
          nextPageToken: '',
        }),
      },
    });
    await bot.send(command(1, '/history', { language: 'ru' }));
    const lines = String(bot.messages()[0]?.text).split('\n');
    expect(lines.slice(0, 4)).toEqual([
      '<b>Ваши недавние разговоры</b>',
      '1. Разговор a — 1 сообщение',
      '2. Разговор b — 2 сообщения',
      '3. Разговор c — 5 сообщений',
    ]);
  });
});
