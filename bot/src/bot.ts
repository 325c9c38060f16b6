import type { AllowedUsers } from '@parley/config';
import type { Logger } from '@parley/logger';
import type { IdentityClient, UsageClient } from '@parley/rpc';
import type { Registry } from 'prom-client';
import { type Context, type MiddlewareFn, Telegraf, type Telegram } from 'telegraf';
import type { UserFromGetMe } from 'telegraf/types';
import { attachmentsFeature } from './features/attachments.ts';
import { conversationFeature } from './features/conversation.ts';
import { DELETE_MENU, deleteFeature } from './features/delete-conversation.ts';
import { HISTORY_MENU, historyFeature } from './features/history.ts';
import { LANGUAGE_MENU, languageFeature } from './features/language.ts';
import { LINK_MENU, linkFeature } from './features/link.ts';
import { MODEL_MENU, modelFeature } from './features/model-picker.ts';
import { NEW_CONVERSATION_MENU, newConversationFeature } from './features/new-conversation.ts';
import { SHORTCUT_MENU, shortcutsFeature } from './features/shortcuts.ts';
import { START_MENU, startFeature } from './features/start.ts';
import { USAGE_MENU, usageFeature } from './features/usage.ts';
import { Languages } from './i18n/languages.ts';
import { commandMenu, type MenuEntry } from './i18n/menu.ts';
import { DEFAULT_LOCALE, LOCALES, textsFor } from './i18n/texts.ts';
import { accessControl, createAccessPolicy } from './middleware/access-control.ts';
import { countUpdates, setOutcome } from './middleware/count-updates.ts';
import { dropDuplicates } from './middleware/drop-duplicates.ts';
import { traceUpdates } from './middleware/trace-updates.ts';
import { DraftChats } from './streaming/draft-chats.ts';
import type { PreviewApi } from './streaming/live-reply.ts';
import { ChatLimits } from './telegram/chat-limits.ts';
import { type FileDownloader, telegramDownloader } from './telegram/file-downloads.ts';
import { Outbox } from './telegram/outbox.ts';
import { ChatQueue } from './updates/chat-queue.ts';
import { answerCallback, type FeatureDeps, type ParleyClient } from './updates/feature-deps.ts';
import { createBotMetrics } from './updates/metrics.ts';

/**
 * The command menu Telegram shows (setMyCommands), gathered from the features that own the commands; the
 * descriptions are catalog keys, registered once per language.
 */
export const COMMAND_MENU: MenuEntry[] = [
  ...NEW_CONVERSATION_MENU,
  ...HISTORY_MENU,
  ...DELETE_MENU,
  ...SHORTCUT_MENU,
  ...USAGE_MENU,
  ...MODEL_MENU,
  ...LANGUAGE_MENU,
  ...LINK_MENU,
  ...START_MENU,
];

export interface BotDeps {
  token: string;
  /** Bot API root; an emulator's in tests. Defaults to Telegram's. */
  apiRoot?: string;
  /** The Parley server: unary calls, and streamed turns. */
  parley: ParleyClient;
  /** The server's UsageService (/usage, /model). */
  usage: UsageClient;
  logger: Logger;
  registry: Registry;
  allowedUsers: AllowedUsers;
  showTools: boolean;
  /** The RPC deadline; telegraf's handler timeout is set above it. */
  rpcTimeoutMs: number;
  /** The bot's own user, when already known (skips getMe; tests). */
  botInfo?: UserFromGetMe;
  /** Pending turns one chat may have before it is asked to wait. */
  maxPendingPerChat?: number;
  /** The server's IdentityService: /link, and each person's language (kept on the server). */
  identity: IdentityClient;
  /** Fetches files users send; Telegram's file downloads by default (tests put a fake). */
  files?: FileDownloader;
}

export interface ParleyBot {
  telegraf: Telegraf;
  /** The per-chat lanes; drained on shutdown. */
  queue: ChatQueue;
  /**
   * Registers {@link COMMAND_MENU} with Telegram in every catalog's language (and English for the rest);
   * a failure is logged, never fatal.
   */
  registerCommands(): Promise<void>;
}

/**
 * Builds the telegraf bot. Order matters: the cross-cutting middleware runs once per update (trace,
 * count, drop duplicates, check the allowlist), then the features, commands before plain text; whatever
 * no feature claims ends in {@link unclaimed}.
 */
export function createBot(deps: BotDeps): ParleyBot {
  const telegraf = new Telegraf(deps.token, {
    // Turns run in the chat queue, but a handler must never be cut off before the RPC deadline.
    handlerTimeout: deps.rpcTimeoutMs + 10_000,
    // webhookReply answers the first call inside the webhook response, where its result is lost.
    telegram: { webhookReply: false, ...(deps.apiRoot ? { apiRoot: deps.apiRoot } : {}) },
  });
  if (deps.botInfo) telegraf.botInfo = deps.botInfo;
  const features = featureDeps(telegraf, deps);
  telegraf.use(
    traceUpdates(),
    countUpdates(features.metrics),
    dropDuplicates(deps.logger),
    reachableAgain(features.outbox.limits),
    accessControl(createAccessPolicy(deps.allowedUsers), features),
    ...FEATURES.map((feature) => feature(features)),
    unclaimed(features),
  );
  // telegraf's default handler rethrows, which would end long polling for everyone.
  telegraf.catch((err, ctx) => {
    deps.logger.error({ err, updateId: ctx.update.update_id }, 'update handler failed');
  });

  return {
    telegraf,
    queue: features.queue,
    async registerCommands() {
      const menus = [
        { commands: commandMenu(COMMAND_MENU, textsFor(DEFAULT_LOCALE)), extra: {} },
        ...LOCALES.filter((locale) => locale !== DEFAULT_LOCALE).map((locale) => ({
          commands: commandMenu(COMMAND_MENU, textsFor(locale)),
          extra: { language_code: locale },
        })),
      ];
      for (const { commands, extra } of menus) {
        try {
          await telegraf.telegram.setMyCommands(commands, extra);
        } catch (err) {
          deps.logger.warn({ err, ...extra }, 'setMyCommands failed; the command menu may be out of date');
        }
      }
    },
  };
}

/** Commands first: plain text (the conversation) catches whatever they leave. */
const FEATURES = [
  startFeature,
  newConversationFeature,
  historyFeature,
  deleteFeature,
  shortcutsFeature,
  usageFeature,
  modelFeature,
  languageFeature,
  linkFeature,
  attachmentsFeature,
  conversationFeature,
];

/** The end of the chain: counted as ignored; a button of an old message gets its spinner stopped. */
function unclaimed(deps: FeatureDeps): MiddlewareFn<Context> {
  return async (ctx) => {
    setOutcome(ctx, 'ignored');
    if (ctx.callbackQuery) await answerCallback(deps, ctx.callbackQuery.id);
  };
}

/** A chat that writes may be answered again, even one that had blocked or removed the bot. */
function reachableAgain(limits: ChatLimits): MiddlewareFn<Context> {
  return (ctx, next) => {
    if (ctx.chat) limits.heardFrom(ctx.chat.id);
    return next();
  };
}

function featureDeps(telegraf: Telegraf, deps: BotDeps): FeatureDeps {
  const metrics = createBotMetrics(deps.registry);
  const limits = new ChatLimits({ onUnreachable: metrics.unreachable });
  const languages = new Languages({
    logger: deps.logger,
    store: {
      get: async (userId) => (await deps.identity.getPreferences({ userId })).language,
      set: async (userId, language) => void (await deps.identity.setLanguage({ userId, language })),
    },
  });
  const outbox = new Outbox({
    api: telegraf.telegram,
    logger: deps.logger,
    limits,
    onEvent: metrics.send,
    // A private chat's id is its user's: the language that user was last answered in.
    undelivered: (chatId) => languages.known({ id: Number(chatId) }).t('outbox.undelivered'),
  });
  return {
    parley: deps.parley,
    usage: deps.usage,
    telegram: telegraf.telegram,
    outbox,
    live: { api: previewApi(telegraf.telegram), outbox, drafts: new DraftChats(), logger: deps.logger },
    queue: new ChatQueue({ logger: deps.logger, maxPendingPerChat: deps.maxPendingPerChat ?? 10 }),
    metrics,
    logger: deps.logger,
    showTools: deps.showTools,
    identity: deps.identity,
    languages,
    commandMenu: (texts) => commandMenu(COMMAND_MENU, texts),
    files: deps.files ?? telegramDownloader(telegraf.telegram, deps.rpcTimeoutMs),
  };
}

/** telegraf's client with `sendMessageDraft`, which its Bot API types (7.1) predate. */
function previewApi(telegram: Telegram): PreviewApi {
  return {
    sendMessageDraft: (params) =>
      (telegram.callApi as (method: string, payload: object) => Promise<unknown>)('sendMessageDraft', params),
    sendMessage: (chatId, text, extra) => telegram.sendMessage(chatId, text, extra),
    editMessageText: (chatId, messageId, inline, text, extra) =>
      telegram.editMessageText(chatId, messageId, inline, text, extra),
  };
}
