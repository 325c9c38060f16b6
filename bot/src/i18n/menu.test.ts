import { describe, expect, it } from 'vitest';
import { botHarness } from '../testing/bot-harness.ts';

describe('the command menu', () => {
  it('is registered in English for everyone and in each other catalog’s language for its speakers', async () => {
    const bot = botHarness();
    await bot.registerCommands();
    const menus = bot.callsTo('setMyCommands');
    expect(menus.map((m) => m.language_code)).toEqual([undefined, 'ru']);
    const [english, russian] = menus.map(
      (m) => m.commands as Array<{ command: string; description: string }>,
    );
    expect(english?.map((c) => c.command)).toEqual(russian?.map((c) => c.command));
    expect(english).toContainEqual({ command: 'help', description: 'What I can do' });
    expect(russian).toContainEqual({ command: 'help', description: 'Что я умею' });
  });
});
