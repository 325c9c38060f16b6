import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import TelegramServer from 'telegram-test-api';
import { freePort } from './free-port.ts';
import {
  type BotApiCall,
  BotApiExtras,
  type BotCommandRecord,
  botApiMethod,
  botApiParams,
  type DraftRecord,
  type InjectedFailure,
  type Refusal,
} from './telegram-bot-api-extras.ts';
import { type TelegramFileRef, TelegramFiles } from './telegram-files.ts';

export type { BotApiCall, BotCommandRecord, DraftRecord, InjectedFailure, Refusal, TelegramFileRef };

/**
 * The `telegram-test-api` Bot API emulator behind a small front that fixes what it lacks for a real bot
 * process:
 * - **Long polling.** The emulator answers `getUpdates` at once even when empty, ignoring `timeout`, so an
 *   idle telegraf busy-loops (~1.2 cores). The front holds an empty poll until an update arrives or the
 *   poll's timeout passes, as Telegram does.
 * - **Redelivery.** Telegram sends an update again when the bot's offset was not confirmed; the emulator
 *   never does. {@link TelegramEmulator.redeliver} queues an update, same `update_id`, for the next poll.
 * - **Streaming.** `sendMessageDraft` (Bot API 9.5): recorded in {@link TelegramEmulator.drafts} for
 *   private chats, refused with 400 in groups as Telegram does. {@link TelegramEmulator.failNext} answers a
 *   method's next calls with 429 and `retry_after`; {@link TelegramEmulator.calls} timestamps every call
 *   (edits included) so tests can check throttling.
 * - **Refusals.** {@link TelegramEmulator.refuse} makes a chat answer every call with 403 (blocked,
 *   kicked) or 400 "chat not found", as Telegram does once a user blocks the bot.
 * - **Command menus.** `setMyCommands` and `getMyCommands` with `language_code` (default and chat scopes), kept in
 *   {@link TelegramEmulator.commands}, checked as Telegram checks them.
 * - **Files.** {@link TelegramEmulator.addFile} keeps a file a user sends; `getFile` answers for it
 *   (refusing files over Telegram's 20 MB bot limit) and `<apiRoot>/file/bot<token>/<path>` serves it.
 * Everything else is passed through untouched, including the emulator's 500 for `sendChatAction`, which
 * the bot must survive.
 */
export interface TelegramEmulator {
  /** The emulator itself, for its test client (`getClient(token, options)`). */
  readonly server: TelegramServer;
  /** Bot API root for the bot (TELEGRAM_API_ROOT): the long-polling front. */
  readonly apiRoot: string;
  /** Every update handed to the bot, in order, as the bot received it. */
  readonly delivered: TelegramUpdate[];
  redeliver(update: TelegramUpdate): void;
  /** Every Bot API call the bot made except polls, in order, with when it came and the status it got. */
  readonly calls: BotApiCall[];
  /** The calls of one method, e.g. `editMessageText`. */
  callsTo(method: string): BotApiCall[];
  /** Drafts shown with `sendMessageDraft`, in order. */
  readonly drafts: DraftRecord[];
  /** The command menu for a language ('': every other language); of one chat when `chatId` is given. */
  commands(languageCode?: string, chatId?: number): BotCommandRecord[] | undefined;
  /** Makes the next call(s) of `method` (to one chat, or any) fail with 429 and `retry_after`. */
  failNext(method: string, failure: InjectedFailure): void;
  /** Refuses every call to the chat (403 "bot was blocked by the user" unless told otherwise). */
  refuse(chatId: number, refusal?: Refusal): void;
  /** Lets calls to a refused chat through again (the user unblocked the bot). */
  accept(chatId: number): void;
  /**
   * Resolves once the bot has sent `count` long polls (getUpdates with a timeout) in all: the first
   * proves its HTTP client could send one, a second that the first came back. Rejects after `timeoutMs`.
   */
  waitForPolls(count: number, timeoutMs?: number): Promise<void>;
  /** Keeps a file for the bot to fetch; `size` is what Telegram reports (default: its length). */
  addFile(data: Buffer, options?: { size?: number; name?: string }): TelegramFileRef;
  /** File paths the bot downloaded, in order. */
  readonly downloads: string[];
  close(): Promise<void>;
}

export interface TelegramUpdate {
  update_id: number;
  message?: { text?: string; message_id?: number; chat?: { id: number } };
  [key: string]: unknown;
}

/** Longest an empty poll is held, whatever the bot asks for: keeps shutdown quick. */
const MAX_HOLD_MS = 10_000;
const USER_EVENTS = ['AddedUserMessage', 'AddedUserCommand', 'AddedUserCallbackQuery'] as const;

export async function startTelegramEmulator(): Promise<TelegramEmulator> {
  const server = new TelegramServer({ port: await freePort(), host: '127.0.0.1', storage: 'RAM' });
  await server.start();
  const state: FrontState = {
    delivered: [],
    redeliveries: [],
    wake: new EventEmitter(),
    version: 0,
    polls: 0,
    extras: new BotApiExtras(),
    files: new TelegramFiles(),
  };
  state.wake.setMaxListeners(0);
  state.wake.on('update', () => state.version++);
  for (const event of USER_EVENTS) server.on(event, () => state.wake.emit('update'));
  const front = createServer((req, res) => {
    void handle(server, state, req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
  const { port } = front.address() as AddressInfo;
  return {
    server,
    apiRoot: `http://127.0.0.1:${port}`,
    delivered: state.delivered,
    redeliver(update) {
      state.redeliveries.push(update);
      state.wake.emit('update');
    },
    calls: state.extras.calls,
    callsTo: (method) => state.extras.calls.filter((call) => call.method === method),
    drafts: state.extras.drafts,
    failNext: (method, failure) => state.extras.failNext(method, failure),
    refuse: (chatId, refusal) => state.extras.refuse(chatId, refusal),
    accept: (chatId) => state.extras.accept(chatId),
    commands: (languageCode = '', chatId?: number) =>
      state.extras.menus.get(chatId === undefined ? languageCode : `chat:${chatId}|${languageCode}`),
    waitForPolls: (count, timeoutMs = 15_000) => waitForPolls(state, count, timeoutMs),
    addFile: (data, options) => state.files.add(data, options),
    downloads: state.files.downloads,
    async close() {
      state.wake.emit('update');
      await closeServer(front);
      await server.stop();
    },
  };
}

interface FrontState {
  delivered: TelegramUpdate[];
  redeliveries: TelegramUpdate[];
  /** Emits `update` whenever a user update (or a redelivery) is added. */
  wake: EventEmitter;
  /** Counts wake-ups, so an update added while the emulator is asked is not waited for. */
  version: number;
  /** Long polls received; `wake` emits `poll` on each. */
  polls: number;
  extras: BotApiExtras;
  files: TelegramFiles;
}

async function handle(
  server: TelegramServer,
  state: FrontState,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  // Timed on arrival, before the body is read: throttling tests compare these times.
  const at = Date.now();
  const body = await readBody(req);
  if (state.files.serve(req.url ?? '', res)) return;
  const method = botApiMethod(req.url);
  if (method !== 'getUpdates') {
    const params = botApiParams(req.url, body);
    const answer = method
      ? (state.extras.intercept(method, params) ??
        (method === 'getFile' ? state.files.getFile(params) : undefined))
      : undefined;
    const status = answer ? sendJson(res, answer.body, answer.status) : await forward(server, req, res, body);
    if (method) state.extras.record(method, params, at, status);
    return;
  }
  const timeoutSeconds = Number((JSON.parse(body.toString() || '{}') as { timeout?: unknown }).timeout ?? 0);
  // Only long polls count: telegraf's stop confirms its offset with a getUpdates without a timeout,
  // which a bot that could never poll still sends on its way out.
  if (timeoutSeconds > 0) {
    state.polls++;
    state.wake.emit('poll');
  }
  const deadline = Date.now() + Math.min(Math.max(timeoutSeconds, 0) * 1000, MAX_HOLD_MS);
  for (;;) {
    const seen = state.version;
    const updates = state.redeliveries.splice(0);
    const fresh = await fetchJson(`${server.config.apiURL}${req.url}`, body);
    updates.push(...((fresh.result as TelegramUpdate[] | undefined) ?? []));
    if (updates.length > 0 || Date.now() >= deadline || res.destroyed) {
      state.delivered.push(...updates);
      state.extras.learnChats(updates);
      sendJson(res, { ok: true, result: updates });
      return;
    }
    if (state.version === seen) await waitForUpdate(state.wake, deadline - Date.now(), res);
  }
}

async function forward(
  server: TelegramServer,
  req: IncomingMessage,
  res: ServerResponse,
  body: Buffer,
): Promise<number> {
  const upstream = await fetch(`${server.config.apiURL}${req.url}`, {
    method: req.method ?? 'GET',
    headers: { 'content-type': req.headers['content-type'] ?? 'application/json' },
    ...(req.method === 'GET' || req.method === 'HEAD' ? {} : { body: new Uint8Array(body) }),
  });
  res.writeHead(upstream.status, {
    'content-type': upstream.headers.get('content-type') ?? 'application/json',
  });
  res.end(Buffer.from(await upstream.arrayBuffer()));
  return upstream.status;
}

function waitForPolls(state: FrontState, count: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (state.polls < count) return;
      clearTimeout(timer);
      state.wake.off('poll', check);
      resolve();
    };
    const timer = setTimeout(() => {
      state.wake.off('poll', check);
      reject(new Error(`the bot sent ${state.polls} long polls, not ${count}, within ${timeoutMs} ms`));
    }, timeoutMs);
    state.wake.on('poll', check);
    check();
  });
}

function waitForUpdate(wake: EventEmitter, ms: number, res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      wake.off('update', done);
      res.off('close', done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(ms, 0));
    wake.on('update', done);
    // The bot gave up on the poll (it is stopping): stop holding it.
    res.on('close', done);
  });
}

async function fetchJson(url: string, body: Buffer): Promise<{ result?: unknown }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: new Uint8Array(body.length > 0 ? body : Buffer.from('{}')),
  });
  return (await res.json()) as { result?: unknown };
}

function sendJson(res: ServerResponse, value: unknown, status = 200): number {
  if (res.destroyed) return status;
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(value));
  return status;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

export { freePort };
