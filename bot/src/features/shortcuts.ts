import { Composer, type Context } from 'telegraf';
import type { MenuEntry } from '../i18n/menu.ts';
import { enqueue, type FeatureDeps } from '../updates/feature-deps.ts';
import { runTurn } from './conversation.ts';

interface Shortcut extends MenuEntry {
  example: string;
  /** The question sent to the assistant, which picks the tool: the bot has no logic of its own here. */
  question: 'shortcuts.weatherQuestion' | 'shortcuts.holidaysQuestion';
}

const SHORTCUTS: Shortcut[] = [
  {
    command: 'weather',
    description: 'menu.weather',
    example: '/weather Berlin',
    question: 'shortcuts.weatherQuestion',
  },
  {
    command: 'holidays',
    description: 'menu.holidays',
    example: '/holidays Germany',
    question: 'shortcuts.holidaysQuestion',
  },
];

/** This feature's entries in Telegram's command menu. */
export const SHORTCUT_MENU: MenuEntry[] = SHORTCUTS.map(({ command, description }) => ({
  command,
  description,
}));

const MAX_SUBJECT = 100;

/** /weather <city> and /holidays <country>: ordinary turns with a ready-made question. */
export function shortcutsFeature(deps: FeatureDeps): Composer<Context> {
  const feature = new Composer<Context>();
  for (const shortcut of SHORTCUTS) {
    feature.command(shortcut.command, (ctx) => {
      const { chat, from } = ctx;
      const subject = ctx.payload.replace(/\s+/g, ' ').trim();
      const turn = {
        chat,
        from,
        updateId: ctx.update.update_id,
        messageId: ctx.message.message_id,
      };
      const task = async () => {
        const { t } = await deps.languages.textsFor(from);
        if (!subject || subject.length > MAX_SUBJECT) {
          const example = shortcut.example;
          await deps.outbox.text(
            chat.id,
            subject ? t('shortcuts.tooLong', { example }) : t('shortcuts.where', { example }),
          );
          return;
        }
        await runTurn(deps, { ...turn, text: t(shortcut.question, { subject }) });
      };
      enqueue(deps, chat, task, from);
    });
  }
  return feature;
}
