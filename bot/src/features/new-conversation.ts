import { Composer, type Context } from 'telegraf';
import type { BotCommand } from 'telegraf/types';
import { enqueue, type FeatureDeps, reportFailure, requestIdFor } from '../updates/feature-deps.ts';
import { sessionMetadataFor } from '../updates/session-metadata.ts';

/** This feature's entries in Telegram's command menu. */
export const NEW_CONVERSATION_MENU: BotCommand[] = [
  { command: 'new', description: 'Start a fresh conversation' },
];

/** /new starts a fresh conversation and makes it the chat's current one (the server rebinds the session). */
export function newConversationFeature(deps: FeatureDeps): Composer<Context> {
  const feature = new Composer<Context>();
  feature.command('new', (ctx) => {
    const { chat, from } = ctx;
    const updateId = ctx.update.update_id;
    enqueue(deps, chat, async () => {
      try {
        await deps.parley.startConversation({
          session: sessionMetadataFor(chat, from),
          requestId: requestIdFor(updateId),
        });
        await deps.outbox.text(chat.id, 'Started a new conversation. What’s on your mind?');
      } catch (err) {
        await reportFailure(deps, chat.id, err, 'new conversation');
      }
    });
  });
  return feature;
}
