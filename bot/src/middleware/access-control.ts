import type { AllowedUsers } from '@parley/config';
import type { Context, MiddlewareFn } from 'telegraf';
import type { User } from 'telegraf/types';
import { pickLocale, textsFor } from '../i18n/texts.ts';
import { addressedText } from '../updates/addressed-text.ts';
import { answerCallback, enqueue, type FeatureDeps } from '../updates/feature-deps.ts';
import { isGroupChat } from '../updates/session-metadata.ts';
import { setOutcome } from './count-updates.ts';

/** True when the user may talk to the bot. */
export type AccessPolicy = (user: Pick<User, 'id' | 'username'>) => boolean;

/** `TELEGRAM_ALLOWED_USERS` as a check: by numeric id or by @username; nobody listed means everyone. */
export function createAccessPolicy(allowed: AllowedUsers): AccessPolicy {
  if (allowed.ids.length === 0 && allowed.usernames.length === 0) return () => true;
  const ids = new Set(allowed.ids);
  const usernames = new Set(allowed.usernames);
  return (user) =>
    ids.has(String(user.id)) || (!!user.username && usernames.has(user.username.toLowerCase()));
}

/**
 * The first gate after de-duplication: nothing of a user who is not allowed reaches a feature or the
 * server. Such a user gets one polite refusal per update, but only for updates meant for the bot (not
 * for every line of a group conversation). Updates without a sender (channel posts) and messages from
 * other bots (loops) are dropped.
 */
export function accessControl(policy: AccessPolicy, deps: FeatureDeps): MiddlewareFn<Context> {
  return async (ctx, next) => {
    const from = ctx.from;
    if (!from || from.is_bot) return setOutcome(ctx, 'ignored');
    if (policy(from)) return next();
    const chat = ctx.chat;
    if (!ctx.callbackQuery && !(chat && isForTheBot(ctx))) return setOutcome(ctx, 'ignored');
    setOutcome(ctx, 'refused');
    deps.logger.info({ userId: from.id }, 'refused a user who is not on TELEGRAM_ALLOWED_USERS');
    // Their app's language: nothing of a refused user reaches the server, not even a lookup.
    const refusal = textsFor(pickLocale(from.language_code)).t('access.refusal');
    if (ctx.callbackQuery) return answerCallback(deps, ctx.callbackQuery.id, refusal);
    if (!chat) return;
    const replyTo = isGroupChat(chat) ? ctx.msgId : undefined;
    enqueue(deps, chat, () => deps.outbox.text(chat.id, refusal, replyTo === undefined ? {} : { replyTo }));
  };
}

function isForTheBot(ctx: Context): boolean {
  const message = ctx.message;
  const chat = ctx.chat;
  if (!message || !chat) return false;
  if (!isGroupChat(chat)) return true;
  if (!('text' in message)) return false;
  const command = message.entities?.find((e) => e.type === 'bot_command' && e.offset === 0);
  // `/help@OtherBot` in a group is for another bot.
  const commandName = command ? message.text.slice(0, command.length).toLowerCase() : '';
  const isOurCommand =
    !!command &&
    (!commandName.includes('@') || commandName.endsWith(`@${ctx.botInfo.username.toLowerCase()}`));
  return isOurCommand || addressedText(message, chat, ctx.botInfo) !== undefined;
}
