import type { Telegraf } from 'telegraf';
import { enqueue, type FeatureDeps, reportFailure, requestIdFor } from './context.ts';
import { sessionFor } from './session.ts';

/** /new starts a fresh conversation and makes it the chat's current one (the server rebinds the session). */
export function registerNew(bot: Telegraf, deps: FeatureDeps): void {
  bot.command('new', (ctx) => {
    deps.metrics.update('handled');
    const { chat, from } = ctx;
    const updateId = ctx.update.update_id;
    enqueue(deps, chat, async () => {
      try {
        const { conversation } = await deps.chat.startConversation({
          session: sessionFor(chat, from),
          requestId: requestIdFor(updateId),
        });
        if (conversation) deps.current.set(String(chat.id), conversation.id);
        await deps.outbox.text(chat.id, 'Started a new conversation. What’s on your mind?');
      } catch (err) {
        await reportFailure(deps, chat.id, err, 'new conversation');
      }
    });
  });
}
