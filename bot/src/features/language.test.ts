import { describe, expect, it } from 'vitest';
import { botHarness, command, tap } from '../testing/bot-harness.ts';

describe('/language', () => {
  it('offers each catalog’s language and keeps the one tapped on the server for the person', async () => {
    const bot = botHarness();
    await bot.send(command(1, '/language'));
    const [menu] = bot.messages();
    expect(menu?.text).toContain('Now: <b>English</b>');
    type Keyboard = { inline_keyboard: { text: string; callback_data: string }[][] };
    const buttons = (menu?.reply_markup as Keyboard | undefined)?.inline_keyboard ?? [];
    expect(buttons.flat().map((b) => b.callback_data)).toEqual(['lang:en', 'lang:ru']);
    expect(buttons.flat().map((b) => b.text)).toEqual(['✓ English', 'Русский']);
    await bot.send(tap(2, 'lang:ru'));
    expect(bot.identity.calls.filter((c) => c.method === 'setLanguage').map((c) => c.request)).toEqual([
      { userId: '7', language: 'ru' },
    ]);
    expect(bot.callsTo('editMessageText').at(-1)?.text).toBe('Готово. Язык: Русский.');
    const [chatMenu] = bot.callsTo('setMyCommands');
    expect(chatMenu?.scope).toEqual({ type: 'chat', chat_id: 7 });
    expect(chatMenu?.commands).toContainEqual({ command: 'help', description: 'Что я умею' });
    await bot.send(command(3, '/new'));
    expect(bot.messages().at(-1)?.text).toBe('Начат новый разговор. О чём поговорим?');
  });

  it('takes the language as an argument, and refuses one it has no catalog for', async () => {
    const bot = botHarness();
    await bot.send(command(1, '/language ru', { language: 'en' }));
    expect(bot.messages().at(-1)?.text).toBe('Готово. Язык: Русский.');
    await bot.send(command(2, '/language tlh'));
    expect(bot.messages().at(-1)?.text).toBe('Этот язык я пока не знаю. Выберите одну из кнопок.');
    expect(bot.identity.languages.get('7')).toBe('ru');
  });

  it('answers in the language chosen on another app or replica (read from the server)', async () => {
    const bot = botHarness();
    bot.identity.languages.set('7', 'ru');
    await bot.send(command(1, '/new', { language: 'en' }));
    expect(bot.messages().at(-1)?.text).toBe('Начат новый разговор. О чём поговорим?');
  });
});
