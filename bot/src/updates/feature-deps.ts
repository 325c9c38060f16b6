import type { Logger } from '@parley/logger';
import type { ChatClient, ChatStreamClient, IdentityClient, UsageClient } from '@parley/rpc';
import type { Telegram } from 'telegraf';
import type { BotCommand, Chat, InlineKeyboardMarkup, User } from 'telegraf/types';
import type { Languages } from '../i18n/languages.ts';
import type { Texts } from '../i18n/texts.ts';
import type { LiveReplyDeps } from '../streaming/live-reply.ts';
import type { FileDownloader } from '../telegram/file-downloads.ts';
import type { Outbox } from '../telegram/outbox.ts';
import type { ChatQueue } from './chat-queue.ts';
import { describeForUser, type UserFacingError } from './errors.ts';
import type { BotMetrics } from './metrics.ts';

/** The Parley server as the bot calls it: the unary calls, and turns as streams of events. */
export type ParleyClient = ChatClient & ChatStreamClient;

/**
 * What every feature (and the middleware before them) may use, with the helpers they share. All
 * outgoing Bot API calls go through `telegram` and `outbox`.
 */
export interface FeatureDeps {
  /** The Parley server. */
  parley: ParleyClient;
  /** The server's UsageService: a user's usage, budgets and allowed models. */
  usage: UsageClient;
  telegram: Telegram;
  outbox: Outbox;
  /** What a reply streamed into a chat needs (drafts, placeholder edits). */
  live: LiveReplyDeps;
  /** Per-chat lanes: a chat's turns run in order, chats in parallel. */
  queue: ChatQueue;
  metrics: BotMetrics;
  logger: Logger;
  showTools: boolean;
  /** The language each user is answered in (their choice, kept on the server, or their app's). */
  languages: Languages;
  /** The server's IdentityService: linking with other clients, the person's language. */
  identity: IdentityClient;
  /** Telegram's command menu worded in one language (setMyCommands). */
  commandMenu(texts: Texts): BotCommand[];
  /** Fetches the files users send (photos, voice notes, documents) from Telegram. */
  files: FileDownloader;
}

/**
 * Runs `task` in the chat's lane, after everything the chat sent before. The update handler returns at
 * once, so a slow model turn never holds up other chats. A chat over its limit is told so, once.
 */
export function enqueue(deps: FeatureDeps, chat: Chat, task: () => Promise<unknown>, from?: User): void {
  const result = deps.queue.push(String(chat.id), async () => {
    await task();
  });
  if (result === 'queued') return;
  // A queue event, counted besides the update's own outcome (see count-updates.ts).
  deps.metrics.update('busy');
  if (result === 'rejected') {
    // No lookup here: the chat is already over its limit.
    void deps.outbox.text(chat.id, deps.languages.known(from ?? { id: chat.id }).t('busy'));
  }
}

/** The request id of everything an update changes: a redelivered update repeats it, the server dedupes. */
export function requestIdFor(updateId: number): string {
  return `tg-${updateId}`;
}

/** Tells the chat what went wrong in plain words; the details go to the log only. */
export async function reportFailure(
  deps: FeatureDeps,
  chatId: number,
  err: unknown,
  action: string,
  texts: Texts,
  replyTo?: number,
): Promise<string> {
  const { code, text } = logFailure(deps, err, action, texts);
  await deps.outbox.text(chatId, text, replyTo === undefined ? {} : { replyTo });
  return code;
}

/** Logs a failed call (an error for what needs a person, a warning for the expected) and words it. */
export function logFailure(deps: FeatureDeps, err: unknown, action: string, texts: Texts): UserFacingError {
  const failure = describeForUser(err, texts);
  const { code } = failure;
  const expected = !['internal', 'unknown', 'unauthenticated', 'permission_denied'].includes(code);
  deps.logger[expected ? 'warn' : 'error']({ err, code, action }, `${action} failed`);
  return failure;
}

/** Stops the spinner on a tapped button; a failure here (query too old) changes nothing for the user. */
export async function answerCallback(deps: FeatureDeps, callbackId: string, text?: string): Promise<void> {
  await deps.telegram.answerCbQuery(callbackId, text).catch((err: unknown) => {
    deps.logger.debug({ err }, 'answerCallbackQuery failed');
  });
}

/**
 * Replaces the text (and keyboard) of the bot message whose button was tapped, so the conversation list
 * or confirmation does not stay tappable; sends a new message when it can no longer be edited.
 */
export async function replaceMessage(
  deps: FeatureDeps,
  chatId: number,
  messageId: number | undefined,
  html: string,
  keyboard?: InlineKeyboardMarkup,
): Promise<void> {
  const options = keyboard ? { keyboard } : {};
  if (messageId !== undefined && (await deps.outbox.edit(chatId, messageId, html, options))) return;
  if (deps.outbox.limits.isUnreachable(chatId)) return;
  await deps.outbox.html(chatId, html, options);
}

/** Telegram caps callback data at 64 bytes; an id that would not fit gets no button. */
export function callbackData(prefix: string, id: string): string | undefined {
  const data = `${prefix}:${id}`;
  return Buffer.byteLength(data) <= 64 ? data : undefined;
}
