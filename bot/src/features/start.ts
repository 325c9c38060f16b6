import { Composer, type Context } from 'telegraf';
import type { BotCommand } from 'telegraf/types';
import { enqueue, type FeatureDeps } from '../updates/feature-deps.ts';
import { isGroupChat } from '../updates/session-metadata.ts';
import { toolListSection } from './tool-list.ts';

/** This feature's entries in Telegram's command menu. */
export const START_MENU: BotCommand[] = [{ command: 'help', description: 'What I can do' }];

const WELCOME = `<b>Hi, I’m Parley</b> 👋
An AI assistant you can simply talk to. I remember our conversation, and I can look up the weather, public holidays, and the date and time anywhere.`;

const COMMAND_LIST = `/new — start a fresh conversation
/history — your recent conversations; tap one to switch to it
/delete — delete the current conversation
/weather &lt;city&gt; — the weather somewhere
/holidays &lt;country&gt; — upcoming public holidays
/usage — what you’ve used and what is left
/model — pick the model (starts a new conversation)
/help — this list`;

const IN_GROUPS = 'In a group, mention me or reply to one of my messages, and I’ll answer there.';

/** /start greets and says what the bot can do; /help lists the commands. */
export function startFeature(deps: FeatureDeps): Composer<Context> {
  const feature = new Composer<Context>();
  feature.start((ctx) => {
    const group = isGroupChat(ctx.chat) ? `\n\n${IN_GROUPS}` : '';
    enqueue(deps, ctx.chat, () =>
      deps.outbox.html(ctx.chat.id, `${WELCOME}\n\nJust send a message to begin.\n\n${COMMAND_LIST}${group}`),
    );
  });
  feature.help((ctx) => {
    const group = isGroupChat(ctx.chat) ? `\n\n${IN_GROUPS}` : '';
    enqueue(deps, ctx.chat, async () => {
      const tools = await toolListSection(deps.parley, deps.logger);
      await deps.outbox.html(ctx.chat.id, `Send me any message to chat.\n\n${COMMAND_LIST}${tools}${group}`);
    });
  });
  return feature;
}
