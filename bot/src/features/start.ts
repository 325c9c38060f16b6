import { Composer, type Context } from 'telegraf';
import type { MenuEntry } from '../i18n/menu.ts';
import { enqueue, type FeatureDeps } from '../updates/feature-deps.ts';
import { isGroupChat } from '../updates/session-metadata.ts';
import { toolListSection } from './tool-list.ts';

/** This feature's entries in Telegram's command menu. */
export const START_MENU: MenuEntry[] = [{ command: 'help', description: 'menu.help' }];

/** /start greets and says what the bot can do; /help lists the commands. */
export function startFeature(deps: FeatureDeps): Composer<Context> {
  const feature = new Composer<Context>();
  feature.start((ctx) => {
    const { chat, from } = ctx;
    enqueue(
      deps,
      chat,
      async () => {
        const { t } = await deps.languages.textsFor(from);
        const group = isGroupChat(chat) ? `\n\n${t('start.inGroups')}` : '';
        const html = `${t('start.welcome')}\n\n${t('start.begin')}\n\n${t('start.commands')}${group}`;
        await deps.outbox.html(chat.id, html);
      },
      from,
    );
  });
  feature.help((ctx) => {
    const { chat, from } = ctx;
    enqueue(
      deps,
      chat,
      async () => {
        const texts = await deps.languages.textsFor(from);
        const { t } = texts;
        const group = isGroupChat(chat) ? `\n\n${t('start.inGroups')}` : '';
        const tools = await toolListSection(deps.parley, deps.logger, texts);
        await deps.outbox.html(chat.id, `${t('start.helpIntro')}\n\n${t('start.commands')}${tools}${group}`);
      },
      from,
    );
  });
  return feature;
}
