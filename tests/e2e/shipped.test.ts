import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createChatClient, createChatStreamClient, type TurnEvent } from '@parley/rpc';
import OpenAI from 'openai';
import type { TelegramClient } from 'telegram-test-api/lib/modules/telegramClient';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ParleyResult, spawnParley } from '../support/cli-processes.ts';
import { type OpenAiStandIn, startOpenAiStandIn } from '../support/openai-stand-in.ts';
import { type PackedCli, packedCli, shippedApp } from '../support/shipped-artifacts.ts';
import { type ShippedProcess, startShipped } from '../support/shipped-processes.ts';
import { startTelegramEmulator, type TelegramEmulator } from '../support/telegram-emulator.ts';
import { waitForBotMessages } from '../support/telegram-stack.ts';

// The core journeys against what ships, started as it ships: the server and the bot bundled and deployed
// as their images hold them and started with their images' CMD (`node [flags] dist/main.js`) and ENV, the CLI
// packed and installed with npm. The model is the OpenAI stand-in, Telegram the emulator. Development
// and the other tests run the sources; a bundle that breaks a library only shows here and in the image
// replay.

const TOKEN = '123456:parley-shipped-token';
const BOT_KEY = 'shipped-bot-key-0123456789';
const CLI_KEY = 'shipped-cli-key-0123456789';
/** Answered as a stream paced over about a second, so the bot shows drafts before the reply. */
const STORY = 'tell me a story';
const story = Array.from({ length: 12 }, (_, i) => `word${i}`).join(' ');

let model: OpenAiStandIn;
let telegram: TelegramEmulator;
let server: ShippedProcess | undefined;
let bot: ShippedProcess;
let cli: PackedCli;
let url = '';
let dataDir = '';

beforeAll(async () => {
  const [serverApp, botApp] = [await shippedApp('server'), await shippedApp('bot')];
  cli = await packedCli();
  dataDir = await mkdtemp(join(tmpdir(), 'parley-shipped-'));
  model = await startOpenAiStandIn();
  model.setDefault((body) => {
    const last = body.messages?.findLast((m) => m.role === 'user');
    const text = typeof last?.content === 'string' ? last.content : '';
    return text === STORY
      ? { reply: story, stream: { chunks: 12, intervalMs: 80 } }
      : { reply: `Echo: ${text}` };
  });
  telegram = await startTelegramEmulator();
  server = startShipped(serverApp, {
    HOME: dataDir,
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    API_KEYS: `bot=${BOT_KEY},cli=${CLI_KEY}`,
    OPENAI_BASE_URL: model.url,
    OPENAI_API_KEY: 'test',
    OPENAI_MAX_RETRIES: '0',
    GENERATE_TITLES: 'false',
    LOG_LEVEL: 'info',
  });
  // The server logs where it listens once it does (it picked the port: PORT=0).
  url = (await server.waitForOutput(/"url":"(http:\/\/127\.0\.0\.1:\d+)"/))[1] ?? '';
  bot = startShipped(botApp, {
    HOME: dataDir,
    TELEGRAM_BOT_TOKEN: TOKEN,
    TELEGRAM_API_ROOT: telegram.apiRoot,
    PARLEY_URL: url,
    PARLEY_API_KEY: BOT_KEY,
    RPC_TIMEOUT_MS: '10000',
    BOT_PORT: '0',
    BOT_HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
  });
  // Polling: its first getUpdates reached the Bot API through the bundled HTTP client.
  await Promise.race([telegram.waitForPolls(1), bot.exited]);
}, 180_000);

afterAll(async () => {
  await bot?.stop();
  await server?.stop();
  await telegram?.close();
  await model?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

function user(id: number, options: { group?: number } = {}): TelegramClient {
  return telegram.server.getClient(TOKEN, {
    userId: id,
    chatId: options.group ?? id,
    type: options.group ? 'group' : 'private',
    userName: `user${id}`,
  });
}

async function say(client: TelegramClient, text: string): Promise<void> {
  if (text.startsWith('/')) await client.sendCommand(client.makeCommand(text));
  else await client.sendMessage(client.makeMessage(text));
}

/** The bot's next message in `chatId`, failing at once if the bot process died. */
async function reply(chatId: number): Promise<string> {
  const [message] = await Promise.race([waitForBotMessages(telegram, TOKEN, chatId, 1), bot.exited]);
  return message?.text ?? '';
}

function parley(args: string[], input = ''): Promise<ParleyResult> {
  const env = { HOME: dataDir, PARLEY_URL: url, PARLEY_API_KEY: CLI_KEY, PARLEY_USER: 'shipped' };
  const child = spawnParley(args, env, cli.bin);
  child.child.stdin?.end(input);
  return child.result;
}

describe('the bundled server', () => {
  const session = { platform: 'api', userId: 'shipped', chatId: 'rpc' };

  it('answers a Twirp turn, then streams the next over SSE, storing both', async () => {
    const chat = createChatClient({ baseUrl: url, apiKey: CLI_KEY, timeoutMs: 10_000 });
    const first = await chat.startConversation({ message: 'over twirp', session });
    expect(first.reply?.content).toBe('Echo: over twirp');
    const conversationId = first.conversation?.id ?? '';

    const streams = createChatStreamClient({ baseUrl: url, apiKey: CLI_KEY, timeoutMs: 10_000 });
    const events: TurnEvent['event'][] = [];
    for await (const { event } of streams.streamContinueConversation({
      message: STORY,
      conversationId,
      session,
    }))
      events.push(event);
    const kinds = events.map((e) => e.oneofKind);
    expect([kinds[0], kinds.at(-1)]).toEqual(['started', 'done']);
    expect(kinds.filter((k) => k === 'delta').length).toBeGreaterThan(1);
    const streamed = events.map((e) => (e.oneofKind === 'delta' ? e.delta.text : '')).join('');
    expect(streamed).toBe(story);

    const described = await chat.describeConversation({ conversationId, session });
    expect(described.messages.map((m) => m.content)).toEqual([
      'over twirp',
      'Echo: over twirp',
      STORY,
      story,
    ]);
  });
});

describe('the bundled server’s OpenAI-compatible API', () => {
  it('streams a completion to the openai SDK and continues the conversation it stored', async () => {
    const openai = new OpenAI({ baseURL: `${url}/v1`, apiKey: CLI_KEY, maxRetries: 0, timeout: 10_000 });
    const { data: stream, response } = await openai.chat.completions
      .create({ model: 'parley', messages: [{ role: 'user', content: STORY }], stream: true, user: 'sdk' })
      .withResponse();
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe(story);
    const next = await openai.chat.completions
      .create({
        model: 'parley',
        user: 'sdk',
        messages: [
          { role: 'user', content: STORY },
          { role: 'assistant', content: text },
          { role: 'user', content: 'again' },
        ],
      })
      .withResponse();
    expect(next.data.choices[0]?.message.content).toBe('Echo: again');
    const id = response.headers.get('x-parley-conversation-id');
    expect(next.response.headers.get('x-parley-conversation-id')).toBe(id);
  });
});

describe('the bundled bot', () => {
  it('streams a reply in a private chat, starts over with /new and lists both with /history', async () => {
    const alice = user(2001);
    await say(alice, STORY);
    expect(await reply(2001)).toBe(story);
    // The reply was streamed: drafts showed it growing before the message was sent.
    expect(telegram.drafts.filter((d) => d.chatId === 2001).length).toBeGreaterThan(0);

    await say(alice, '/new');
    expect(await reply(2001)).toMatch(/Started a new conversation/);
    await say(alice, 'second topic');
    expect(await reply(2001)).toBe('Echo: second topic');
    await say(alice, '/history');
    const history = await waitForBotMessages(telegram, TOKEN, 2001, 1);
    expect(history[0]?.text).toMatch(/second topic[\s\S]*tell me a story/);
    expect(history[0]?.reply_markup?.inline_keyboard?.flat()).toHaveLength(2);
  });

  it('answers in a group when mentioned', async () => {
    const member = user(2002, { group: -7002 });
    await member.sendMessage(
      member.makeMessage('@TestNameBot hello group', {
        entities: [{ type: 'mention', offset: 0, length: 12 }],
      }),
    );
    expect(await reply(-7002)).toBe('Echo: hello group');
  });
});

describe('the packed parley command', () => {
  it('asks once and prints the reply', async () => {
    const result = await parley(['ask', 'hello from the shell']);
    expect(result).toMatchObject({ code: 0, stdout: 'Echo: hello from the shell\n' });
    expect(result.stderr).toMatch(/^conversation: \S+$/m);
  });

  it('chats until stdin ends', async () => {
    const result = await parley(['chat'], 'hi\nhow are you\n');
    expect(result).toMatchObject({ code: 0, stdout: 'Echo: hi\nEcho: how are you\n' });
  });
});
