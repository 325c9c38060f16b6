import { Composer, type Context } from 'telegraf';
import type { MenuEntry } from '../i18n/menu.ts';
import { enqueue, type FeatureDeps, reportFailure, requestIdFor } from '../updates/feature-deps.ts';
import { sessionMetadataFor } from '../updates/session-metadata.ts';

/** This feature's entries in Telegram's command menu. */
export const NEW_CONVERSATION_MENU: MenuEntry[] = [{ command: 'new', description: 'menu.new' }];

/** /new starts a fresh conversation and makes it the chat's current one (the server rebinds the session). */
export function newConversationFeature(deps: FeatureDeps): Composer<Context> {
  const feature = new Composer<Context>();
  feature.command('new', (ctx) => {
    const { chat, from } = ctx;
    const updateId = ctx.update.update_id;
    const task = async () => {
      const texts = await deps.languages.textsFor(from);
      try {
        await deps.parley.startConversation({
          session: sessionMetadataFor(chat, from),
          requestId: requestIdFor(updateId),
        });
        await deps.outbox.text(chat.id, texts.t('newConversation.started'));
      } catch (err) {
        await reportFailure(deps, chat.id, err, 'new conversation', texts);
      }
    };
    enqueue(deps, chat, task, from);
  });
  return feature;
}
