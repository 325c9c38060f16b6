import { Composer, type Context } from 'telegraf';
import type { BotCommand } from 'telegraf/types';
import { enqueue, type FeatureDeps } from '../updates/feature-deps.ts';
import { runTurn } from './conversation.ts';

interface Shortcut {
  command: string;
  description: string;
  example: string;
  /** The question sent to the assistant, which picks the tool: the bot has no logic of its own here. */
  question: (subject: string) => string;
}

const SHORTCUTS: Shortcut[] = [
  {
    command: 'weather',
    description: 'Weather in a city: /weather Berlin',
    example: '/weather Berlin',
    question: (city) => `What’s the weather in ${city}?`,
  },
  {
    command: 'holidays',
    description: 'Public holidays: /holidays Germany',
    example: '/holidays Germany',
    question: (country) => `What are the upcoming public holidays in ${country}?`,
  },
];

/** This feature's entries in Telegram's command menu. */
export const SHORTCUT_MENU: BotCommand[] = SHORTCUTS.map(({ command, description }) => ({
  command,
  description,
}));

const MAX_SUBJECT = 100;

/** /weather <city> and /holidays <country>: ordinary turns with a ready-made question. */
export function shortcutsFeature(deps: FeatureDeps): Composer<Context> {
  const feature = new Composer<Context>();
  for (const shortcut of SHORTCUTS) {
    feature.command(shortcut.command, (ctx) => {
      const subject = ctx.payload.replace(/\s+/g, ' ').trim();
      if (!subject || subject.length > MAX_SUBJECT) {
        const hint = subject ? 'That’s a bit long for a place name.' : 'Tell me where, for example:';
        enqueue(deps, ctx.chat, () => deps.outbox.text(ctx.chat.id, `${hint} ${shortcut.example}`));
        return;
      }
      enqueue(deps, ctx.chat, () =>
        runTurn(deps, {
          chat: ctx.chat,
          from: ctx.from,
          text: shortcut.question(subject),
          updateId: ctx.update.update_id,
          messageId: ctx.message.message_id,
        }),
      );
    });
  }
  return feature;
}
