import type { Telegraf } from 'telegraf';
import { enqueue, type FeatureDeps } from './context.ts';
import { runTurn } from './conversation.ts';

interface Shortcut {
  command: string;
  example: string;
  /** The question sent to the assistant, which picks the tool: the bot has no logic of its own here. */
  question: (subject: string) => string;
}

const SHORTCUTS: Shortcut[] = [
  { command: 'weather', example: '/weather Berlin', question: (city) => `What’s the weather in ${city}?` },
  {
    command: 'holidays',
    example: '/holidays Germany',
    question: (country) => `What are the upcoming public holidays in ${country}?`,
  },
];

const MAX_SUBJECT = 100;

/** /weather <city> and /holidays <country>: ordinary turns with a ready-made question. */
export function registerShortcuts(bot: Telegraf, deps: FeatureDeps): void {
  for (const shortcut of SHORTCUTS) {
    bot.command(shortcut.command, (ctx) => {
      deps.metrics.update('handled');
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
}
