import { createLogger } from '@parley/logger';
import type { ChatClient, ChatStreamClient, IdentityClient, UsageClient } from '@parley/rpc';
import { FakeChatClient, FakeIdentityClient, FakeUsageClient } from '@parley/rpc/testing';
import { Registry } from 'prom-client';
import type { Telegram } from 'telegraf';
import type { Update, UserFromGetMe } from 'telegraf/types';
import { createBot } from '../bot.ts';

// A bot built by createBot around fake Parley clients, with the Bot API replaced at telegraf's `callApi`
// seam: every call is recorded and answered like Telegram would (a message id), sendChatAction fails as
// the emulator's does.

export const BOT_INFO = {
  id: 99,
  is_bot: true,
  first_name: 'Parley',
  username: 'ParleyBot',
} as UserFromGetMe;

export interface BotCall {
  method: string;
  payload: Record<string, unknown>;
  /** `Date.now()` when the call was made (fake time under fake timers). */
  at: number;
}

export interface HarnessOptions {
  parley?: Partial<ChatClient & ChatStreamClient>;
  usage?: UsageClient;
  /** Scripted IdentityService answers (languages are kept in memory unless scripted). */
  identity?: Partial<IdentityClient>;
  /** Answers a call with an error instead (a Bot API refusal, see {@link telegramError}). */
  refuse?: (method: string, payload: Record<string, unknown>) => Error | undefined;
  /** The bytes of files users send, by file id (a file not here downloads as `bytes of <id>`). */
  files?: Record<string, Buffer>;
}

export function botHarness(clients: HarnessOptions = {}) {
  const parley = new FakeChatClient(clients.parley);
  const usage = clients.usage ?? new FakeUsageClient();
  const identity = new FakeIdentityClient(clients.identity);
  const registry = new Registry();
  const downloads: string[] = [];
  const bot = createBot({
    token: '1:test',
    parley,
    usage,
    identity,
    logger: createLogger({ name: 'test', level: 'silent', pretty: false }),
    registry,
    allowedUsers: { ids: [], usernames: [] },
    showTools: false,
    rpcTimeoutMs: 1_000,
    botInfo: BOT_INFO,
    files: {
      download: async (fileId) => {
        downloads.push(fileId);
        return clients.files?.[fileId] ?? Buffer.from(`bytes of ${fileId}`);
      },
    },
  });
  const calls: BotCall[] = [];
  bot.telegraf.telegram.callApi = (async (method: string, payload: Record<string, unknown>) => {
    calls.push({ method, payload, at: Date.now() });
    const refusal = clients.refuse?.(method, payload);
    if (refusal) throw refusal;
    if (method === 'sendChatAction') throw new Error('500: Internal Server Error');
    return { message_id: calls.length };
  }) as unknown as Telegram['callApi'];
  return {
    parley,
    usage,
    identity,
    calls,
    /** File ids downloaded, in order. */
    downloads,
    callsTo: (method: string) => calls.filter((c) => c.method === method).map((c) => c.payload),
    messages: () => calls.filter((c) => c.method === 'sendMessage').map((c) => c.payload),
    registerCommands: () => bot.registerCommands(),
    async send(update: Update) {
      await bot.telegraf.handleUpdate(update);
      await bot.queue.drain(1_000);
    },
    /** Hands the update over without waiting for its answer (under fake timers: advance them). */
    receive: (update: Update) => bot.telegraf.handleUpdate(update),
    /** Turns waiting or running. */
    pending: () => bot.queue.size,
    /** One metric's values, by their labels joined. */
    async metric(name: string): Promise<Record<string, number>> {
      const values = (await registry.getSingleMetric(name)?.get())?.values ?? [];
      return Object.fromEntries(values.map((v) => [Object.values(v.labels).join(','), v.value]));
    },
  };
}

/** A Bot API error as telegraf throws it (TelegramError keeps the response). */
export function telegramError(error_code: number, description: string, retry_after?: number): Error {
  return Object.assign(new Error(`${error_code}: ${description}`), {
    response: { ok: false, error_code, description, ...(retry_after ? { parameters: { retry_after } } : {}) },
  });
}

const PRIVATE = { id: 7, type: 'private' as const, first_name: 'Ann' };
const GROUP = { id: -100, type: 'group' as const, title: 'Friends' };

/** A command as Telegram sends it (with its bot_command entity), in a private chat or the group. */
export function command(
  updateId: number,
  text: string,
  options: { group?: boolean; from?: number; language?: string } = {},
): Update {
  const chat = options.group ? GROUP : PRIVATE;
  const from = {
    id: options.from ?? 7,
    is_bot: false,
    first_name: 'Ann',
    ...(options.language ? { language_code: options.language } : {}),
  };
  const length = text.split(' ')[0]?.length ?? text.length;
  const entities = [{ type: 'bot_command' as const, offset: 0, length }];
  return { update_id: updateId, message: { message_id: updateId, date: 0, chat, from, text, entities } };
}

/** A tap on an inline button of the bot's message 500. */
export function tap(
  updateId: number,
  data: string,
  options: { group?: boolean; from?: number } = {},
): Update {
  const chat = options.group ? GROUP : PRIVATE;
  const from = { id: options.from ?? 7, is_bot: false, first_name: 'Ann' };
  const message = { message_id: 500, date: 0, chat, from: BOT_INFO, text: 'menu' };
  return {
    update_id: updateId,
    callback_query: { id: `cb-${updateId}`, from, chat_instance: 'x', message, data },
  } as Update;
}
