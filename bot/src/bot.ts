import { SpanKind, trace } from '@opentelemetry/api';
import type { AllowedUsers } from '@parley/config';
import type { Logger } from '@parley/logger';
import type { ChatClient } from '@parley/rpc';
import type { Registry } from 'prom-client';
import { Telegraf } from 'telegraf';
import type { BotCommand, UserFromGetMe } from 'telegraf/types';
import { ChatQueue } from './chat-queue.ts';
import { CurrentConversations } from './current-conversations.ts';
import { accessControl, createAccessPolicy } from './features/access.ts';
import { answerCallback, type FeatureDeps } from './features/context.ts';
import { registerConversation } from './features/conversation.ts';
import { registerDelete } from './features/delete.ts';
import { registerHistory } from './features/history.ts';
import { registerNew } from './features/new.ts';
import { registerShortcuts } from './features/shortcuts.ts';
import { registerStart } from './features/start.ts';
import { createBotMetrics } from './metrics.ts';
import { Outbox } from './outbox.ts';
import { RecentIds } from './recent-ids.ts';

/** The command menu Telegram shows (setMyCommands). */
export const COMMANDS: BotCommand[] = [
  { command: 'new', description: 'Start a fresh conversation' },
  { command: 'history', description: 'Your recent conversations (tap to switch)' },
  { command: 'delete', description: 'Delete the current conversation' },
  { command: 'weather', description: 'Weather in a city: /weather Berlin' },
  { command: 'holidays', description: 'Public holidays: /holidays Germany' },
  { command: 'help', description: 'What I can do' },
];

export interface BotDeps {
  token: string;
  /** Bot API root; an emulator's in tests. Defaults to Telegram's. */
  apiRoot?: string;
  chat: ChatClient;
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
}

export interface ParleyBot {
  telegraf: Telegraf;
  /** The per-chat lanes; drained on shutdown. */
  queue: ChatQueue;
  /** Registers {@link COMMANDS} with Telegram; a failure is logged, never fatal. */
  registerCommands(): Promise<void>;
}

const RECENT_UPDATES = 10_000;

/**
 * Builds the telegraf bot. Order matters: duplicates are dropped first, then the allowlist is checked,
 * then features run (commands before plain text).
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

  // One span per update. Turns queued from inside it keep its context, so the RPC they make carries its
  // traceparent and the server's spans join the same trace (when tracing is configured; no-op otherwise).
  telegraf.use((ctx, next) =>
    trace.getTracer('parley-bot').startActiveSpan(
      `telegram ${ctx.updateType}`,
      {
        kind: SpanKind.CONSUMER,
        attributes: { 'messaging.system': 'telegram', 'telegram.update_type': ctx.updateType },
      },
      async (span) => {
        try {
          await next();
        } finally {
          span.end();
        }
      },
    ),
  );
  const seen = new RecentIds(RECENT_UPDATES);
  telegraf.use((ctx, next) => {
    if (seen.add(ctx.update.update_id)) return next();
    features.metrics.update('duplicate');
    deps.logger.info({ updateId: ctx.update.update_id }, 'ignored a redelivered update');
  });
  telegraf.use(accessControl(createAccessPolicy(deps.allowedUsers), features));
  for (const register of FEATURES) register(telegraf, features);
  // A button of an old message that no feature claims: stop its spinner.
  telegraf.on('callback_query', (ctx) => answerCallback(features, ctx.callbackQuery.id));
  // telegraf's default handler rethrows, which would end long polling for everyone.
  telegraf.catch((err, ctx) => {
    deps.logger.error({ err, updateId: ctx.update.update_id }, 'update handler failed');
  });

  return {
    telegraf,
    queue: features.queue,
    async registerCommands() {
      try {
        await telegraf.telegram.setMyCommands(COMMANDS);
      } catch (err) {
        deps.logger.warn({ err }, 'setMyCommands failed; the command menu may be out of date');
      }
    },
  };
}

/** Commands first: plain text (the conversation) catches whatever they leave. */
const FEATURES = [
  registerStart,
  registerNew,
  registerHistory,
  registerDelete,
  registerShortcuts,
  registerConversation,
];

function featureDeps(telegraf: Telegraf, deps: BotDeps): FeatureDeps {
  const metrics = createBotMetrics(deps.registry);
  return {
    chat: deps.chat,
    telegram: telegraf.telegram,
    outbox: new Outbox({ api: telegraf.telegram, logger: deps.logger, onEvent: metrics.send }),
    queue: new ChatQueue({ logger: deps.logger, maxPendingPerChat: deps.maxPendingPerChat ?? 10 }),
    current: new CurrentConversations(),
    metrics,
    logger: deps.logger,
    showTools: deps.showTools,
  };
}
