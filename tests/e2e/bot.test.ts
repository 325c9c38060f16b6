import { type ChatClient, createChatClient } from '@parley/rpc';
import type { TelegramClient } from 'telegram-test-api/lib/modules/telegramClient';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { gate } from '../support/gate.ts';
import { type OpenAiStandIn, startOpenAiStandIn } from '../support/openai-stand-in.ts';
import { freePort, startTelegramEmulator, type TelegramEmulator } from '../support/telegram-emulator.ts';
import {
  type BotStack,
  type ChildService,
  type SentMessage,
  startBotProcess,
  startBotStack,
  waitForBotMessages,
} from '../support/telegram-stack.ts';

// The real server and the real bot as separate processes; the OpenAI stand-in and the Telegram Bot API
// emulator (behind its long-polling front, see telegram-emulator.ts) in this process, all on loopback.

const TOKEN = '123456:parley-e2e-bot-token';
const BOT_KEY = 'bot-key-0123456789abcdef';
const LONG = 'Tell me everything';
const SLOW = 'take your time';
const STRANGER = 4242;
/** Opened by the test that stops the bot while it answers SLOW. */
const slowGoesOn = gate();

let standIn: OpenAiStandIn;
let emulator: TelegramEmulator;
let stack: BotStack | undefined;
let parley: ChatClient;

/** A 9000-character Markdown answer in paragraphs. */
const longReply = Array.from(
  { length: 60 },
  (_, i) => `**Part ${i + 1}.** ${'All work and no play makes a long reply. '.repeat(4)}`,
).join('\n\n');

function user(id: number, options: { type?: 'private' | 'group'; chatId?: number } = {}): TelegramClient {
  return emulator.server.getClient(TOKEN, {
    userId: id,
    chatId: options.chatId ?? id,
    type: options.type ?? 'private',
    userName: `user${id}`,
  });
}

async function say(client: TelegramClient, text: string): Promise<void> {
  if (text.startsWith('/')) await client.sendCommand(client.makeCommand(text));
  else await client.sendMessage(client.makeMessage(text));
}

function replies(chatId: number, count = 1): Promise<SentMessage[]> {
  return waitForBotMessages(emulator, TOKEN, chatId, count);
}

function list(userId: string) {
  return parley.listConversations({
    session: { platform: 'telegram', userId, chatId: userId },
    pageSize: 50,
  });
}

beforeAll(async () => {
  standIn = await startOpenAiStandIn();
  // Keyed on the user's words, not on request order, so background calls (titles) cannot steal a step.
  standIn.setDefault((body) => {
    const last = body.messages?.findLast((m) => m.role === 'user');
    const text = typeof last?.content === 'string' ? last.content : '';
    // Held after its first chunk until the test lets it go on: the answer is surely in progress.
    if (text === SLOW)
      return { reply: `Echo: **${text}**`, hold: { afterChunks: 1, until: slowGoesOn.opened } };
    return { reply: text === LONG ? longReply : `Echo: **${text}**` };
  });
  emulator = await startTelegramEmulator();
  stack = await startBotStack({
    token: TOKEN,
    botKey: BOT_KEY,
    modelUrl: standIn.url,
    emulator,
    botEnv: { TELEGRAM_ALLOWED_USERS: '1001,1002,1003,1004,1005,1006,@user1007' },
  });
  parley = createChatClient({ baseUrl: stack.server.url, apiKey: BOT_KEY, timeoutMs: 10_000 });
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  await emulator?.close();
  await standIn?.close();
});

describe('Telegram bot against the real server', () => {
  it('answers messages, in order, with formatted replies', async () => {
    const alice = user(1001);
    await say(alice, '/start');
    const [welcome] = await replies(1001);
    expect(welcome?.text).toMatch(/Hi, I’m Parley/);
    for (const text of ['one', 'two', 'three']) await say(alice, text);
    const answers = await replies(1001, 3);
    expect(answers.map((m) => m.text)).toEqual([
      'Echo: <b>one</b>',
      'Echo: <b>two</b>',
      'Echo: <b>three</b>',
    ]);
    expect(answers.every((m) => m.parse_mode === 'HTML')).toBe(true);
  });

  it('starts a new conversation with /new (checked on the server)', async () => {
    const bob = user(1002);
    await say(bob, 'first topic');
    await replies(1002);
    expect((await list('1002')).conversations).toHaveLength(1);
    await say(bob, '/new');
    expect((await replies(1002))[0]?.text).toMatch(/Started a new conversation/);
    await say(bob, 'second topic');
    await replies(1002);
    const { conversations } = await list('1002');
    expect(conversations.map((c) => c.messageCount)).toEqual([2, 2]);
    expect(conversations.map((c) => c.chatId)).toEqual(['1002', '1002']);
  });

  it('lists conversations with /history and switches with a button', async () => {
    const bob = user(1002);
    await say(bob, '/history');
    const [history] = await replies(1002);
    const buttons = history?.reply_markup?.inline_keyboard?.flat() ?? [];
    expect(buttons).toHaveLength(2);
    expect(history?.text).toMatch(/second topic[\s\S]*first topic/);
    const older = buttons[1]?.callback_data ?? '';
    expect(older).toMatch(/^s:/);
    await bob.sendCallback(bob.makeCallbackQuery(older, { message: { message_id: history?.messageId } }));
    // The edit waits its turn: a private chat gets about one message (or edit) a second.
    await vi.waitFor(
      () => {
        const edited = emulator.server.storage.botMessages.find((m) => m.messageId === history?.messageId);
        expect(edited?.message.text).toMatch(/Switched to <b>first topic<\/b>/);
      },
      { timeout: 5_000, interval: 50 },
    );
    await say(bob, 'back to the first');
    await replies(1002);
    const { conversations } = await list('1002');
    const first = conversations.find((c) => `s:${c.id}` === older);
    expect(first?.messageCount).toBe(4);
  });

  it('splits a long reply into several messages of at most 4096 characters', async () => {
    expect(longReply.length).toBeGreaterThan(9_000);
    const dave = user(1003);
    await say(dave, LONG);
    // Replies in a chat keep their order: everything before the next echo belongs to the long reply.
    await say(dave, 'done');
    const messages = await waitForBotMessages(emulator, TOKEN, 1003, (m) =>
      m.some((r) => r.text === 'Echo: <b>done</b>'),
    );
    const parts = messages.slice(0, -1);
    expect(parts.length).toBeGreaterThanOrEqual(3);
    for (const part of parts) expect(part.text.length).toBeLessThanOrEqual(4096);
    const visible = parts.map((p) => p.text.replace(/<[^>]+>/g, '')).join('\n\n');
    expect(visible).toContain('Part 1.');
    expect(visible).toContain('Part 60.');
    expect(parts.every((p) => p.text.startsWith('<b>Part'))).toBe(true);
  });

  it('answers a redelivered update once', async () => {
    const carol = user(1004);
    await say(carol, 'only once please');
    await replies(1004);
    const update = emulator.delivered.findLast((u) => u.message?.text === 'only once please');
    expect(update).toBeDefined();
    const modelCalls = standIn.requests.length;
    if (update) emulator.redeliver(update);
    // Each chat is answered in order: a second answer to the replay would arrive before this one.
    await say(carol, 'after the replay');
    const [next] = await replies(1004);
    expect(next?.text).toBe('Echo: <b>after the replay</b>');
    expect(standIn.requests.length).toBe(modelCalls + 1);
  });

  it('answers in a group only when mentioned, in one conversation for the group', async () => {
    const member = user(1005, { type: 'group', chatId: -5005 });
    await say(member, 'chatting among ourselves');
    await member.sendMessage(
      member.makeMessage('@TestNameBot hello group', {
        entities: [{ type: 'mention', offset: 0, length: 12 }],
      }),
    );
    const [reply] = await replies(-5005);
    expect(reply?.text).toBe('Echo: <b>hello group</b>');
    const { conversations } = await parley.listConversations({
      session: { platform: 'telegram', userId: 'group:-5005', chatId: '-5005' },
    });
    expect(conversations.map((c) => c.messageCount)).toEqual([2]);
  });

  it('runs /weather through the assistant, and deletes the conversation after asking', async () => {
    const erin = user(1007); // allowed by @username
    await say(erin, '/weather Berlin');
    const [weather] = await replies(1007);
    expect(weather?.text).toBe('Echo: <b>What’s the weather in Berlin?</b>');
    await say(erin, '/delete');
    const [confirm] = await replies(1007);
    expect(confirm?.text).toMatch(/^Delete <b>.*Berlin.*<\/b> \(2 messages\)\?/);
    const yes = confirm?.reply_markup?.inline_keyboard?.[0]?.[0]?.callback_data ?? '';
    expect(yes).toMatch(/^d:/);
    await erin.sendCallback(erin.makeCallbackQuery(yes, { message: { message_id: confirm?.messageId } }));
    await vi.waitFor(async () => expect((await list('1007')).conversations).toHaveLength(0));
  });

  it('refuses a user who is not on the allowlist, politely, without calling the server', async () => {
    const modelCalls = standIn.requests.length;
    await say(user(STRANGER), 'let me in');
    const [refusal] = await replies(STRANGER);
    expect(refusal?.text).toMatch(/Sorry, this bot is private/);
    expect(standIn.requests.length).toBe(modelCalls);
    expect((await list(String(STRANGER))).conversations).toHaveLength(0);
  });
});

describe('Telegram bot in webhook mode', () => {
  const HOOK_TOKEN = '654321:parley-e2e-webhook-token';
  const SECRET = 'e2e-webhook-secret-0123456789';
  let hook: ChildService | undefined;
  let base: string;
  let hookUrl: string;

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    hookUrl = `${base}/telegram/hook`;
    hook = await startBotProcess({
      TELEGRAM_BOT_TOKEN: HOOK_TOKEN,
      TELEGRAM_API_ROOT: emulator.apiRoot,
      TELEGRAM_WEBHOOK_URL: hookUrl,
      TELEGRAM_WEBHOOK_SECRET: SECRET,
      BOT_PORT: String(port),
      BOT_HOST: '127.0.0.1',
      PARLEY_URL: stack?.server.url ?? '',
      PARLEY_API_KEY: BOT_KEY,
      HOME: stack?.dataDir ?? '',
    });
  }, 30_000);

  afterAll(() => hook?.stop());

  /** Posts an update the way Telegram does: JSON, with the secret token header when given. */
  function post(updateId: number, chatId: number, text: string, secret?: string): Promise<Response> {
    const from = { id: chatId, is_bot: false, first_name: 'Hook' };
    const message = {
      message_id: updateId,
      date: 0,
      chat: { id: chatId, type: 'private', first_name: 'Hook' },
      from,
      text,
    };
    return fetch(hookUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(secret ? { 'x-telegram-bot-api-secret-token': secret } : {}),
      },
      body: JSON.stringify({ update_id: updateId, message }),
    });
  }

  it('refuses posts without the right secret token', async () => {
    expect((await post(1, 2001, 'no secret')).status).toBe(403);
    expect((await post(2, 2001, 'wrong secret', 'not-the-secret-0123456')).status).toBe(403);
    expect((await post(3, 2001, 'right secret', SECRET)).status).toBe(200);
    const [reply] = await waitForBotMessages(emulator, HOOK_TOKEN, 2001, 1);
    expect(reply?.text).toBe('Echo: <b>right secret</b>');
  });

  it('serves /health', async () => {
    const res = await fetch(`${base}/health`);
    expect(res.status).toBe(200);
  });

  it('finishes the answer in progress when stopped', async () => {
    expect((await post(10, 2002, SLOW, SECRET)).status).toBe(200);
    const asked = () => standIn.requests.some((r) => JSON.stringify(r.body.messages).includes(SLOW));
    await vi.waitFor(() => expect(asked()).toBe(true), { timeout: 10_000 });
    const stopped = hook?.stop();
    // The model answers once the bot has begun shutting down with the answer in progress.
    await vi.waitFor(() => expect(hook?.output()).toContain('shutting down'), { timeout: 10_000 });
    slowGoesOn.open();
    await stopped;
    expect(hook?.child.exitCode).toBe(0);
    const [reply] = await waitForBotMessages(emulator, HOOK_TOKEN, 2002, 1, 1_000);
    expect(reply?.text).toBe(`Echo: <b>${SLOW}</b>`);
  });
});

describe('Telegram bot without its server', () => {
  it('says Parley is down', async () => {
    await stack?.server.stop();
    await say(user(1006), 'anyone there?');
    const [reply] = await replies(1006);
    expect(reply?.text).toBe('Parley is down at the moment, so I can’t answer. Please try again later.');
  });
});
