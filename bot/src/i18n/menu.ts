import type { BotCommand } from 'telegraf/types';
import type en from './locales/en.json';
import type { Texts } from './texts.ts';

/** One command of Telegram's menu: the description is a catalog key, worded per language. */
export interface MenuEntry {
  command: string;
  description: `menu.${keyof typeof en.menu}`;
}

/** The menu in one language, for setMyCommands. */
export function commandMenu(entries: readonly MenuEntry[], texts: Texts): BotCommand[] {
  return entries.map(({ command, description }) => ({ command, description: texts.t(description) }));
}
