import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TelegramClient } from 'telegram-test-api/lib/modules/telegramClient';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type OpenAiStandIn, startOpenAiStandIn } from '../support/openai-stand-in.ts';
import {
  type BotApiCall,
  startTelegramEmulator,
  type TelegramEmulator,
} from '../support/telegram-emulator.ts';
import {
  type ChildService,
  type ServerProcess,
  startBotProcess,
  startServerProcess,
  waitForBotMessages,
} from '../support/telegram-stack.ts';

// Streamed replies end to end: the real server (SSE routes) and the real bot as separate processes, the
// OpenAI stand-in streaming paced chunks, and the Telegram emulator recording every Bot API call with its
// time, so the tests can check the rates Telegram asks for.

const TOKEN = '123456:parley-e2e-stream-token';
const BOT_KEY = 'bot-key-stream-0123456789abcdef';
/** Answered slowly enough to stream: 40 pieces, 100 ms apart. */
const STORY = 'tell me a story';
/** Answered after a get_datetime call. */
const CLOCK = 'what time is it in Paris?';

/** A Markdown reply of 40 words. */
const story = Array.from({ length: 40 }, (_, i) => (i % 10 === 0 ? `**word${i}**` : `word${i}`)).join(' ');

let standIn: OpenAiStandIn;
let emulator: TelegramEmulator;
let server: ServerProcess | undefined;
let bot: ChildService | undefined;
let dataDir: string;

function user(id: number, options: { type?: 'private' | 'group'; chatId?: number } = {}): TelegramClient {
  return emulator.server.getClient(TOKEN, {
    userId: id,
    chatId: options.chatId ?? id,
    type: options.type ?? 'private',
    userName: `user${id}`,
  });
}

async function say(client: TelegramClient, text: string): Promise<void> {
  await client.sendMessage(client.makeMessage(text));
}

function replies(chatId: number, count = 1) {
  return waitForBotMessages(emulator, TOKEN, chatId, count);
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'parley-e2e-bot-stream-'));
  standIn = await startOpenAiStandIn();
  // Keyed on the user's words, not on request order, so background calls cannot steal a step.
  standIn.setDefault((body) => {
    const last = body.messages?.findLast((m) => m.role === 'user');
    const text = typeof last?.content === 'string' ? last.content : '';
    if (text === CLOCK) {
      if (!body.messages?.some((m) => m.role === 'tool')) {
        return { toolCalls: [{ name: 'get_datetime', arguments: { timezone: 'Europe/Paris' } }] };
      }
      // A pause before the answer, so the draft shows the tool at work before any text.
      const answer = { reply: 'It is **noon** in Paris.', stream: { chunks: 10, intervalMs: 100 } };
      // biome-ignore lint/suspicious/noThenProperty: the stand-in's delay step names its follow-up `then`.
      return { delayMs: 700, then: answer };
    }
    return { reply: story, stream: { chunks: 40, intervalMs: 100 } };
  });
  emulator = await startTelegramEmulator();
  server = await startServerProcess({
    API_KEYS: `bot=${BOT_KEY}`,
    DATA_DIR: dataDir,
    HOME: dataDir,
    OPENAI_BASE_URL: standIn.url,
    OPENAI_API_KEY: 'test',
    OPENAI_MAX_RETRIES: '0',
    GENERATE_TITLES: 'false',
    LOG_LEVEL: 'warn',
  });
  bot = await startBotProcess({
    TELEGRAM_BOT_TOKEN: TOKEN,
    TELEGRAM_API_ROOT: emulator.apiRoot,
    PARLEY_URL: server.url,
    PARLEY_API_KEY: BOT_KEY,
    RPC_TIMEOUT_MS: '10000',
    HOME: dataDir,
  });
}, 60_000);

afterAll(async () => {
  // SHOW_BOT_LOG=1 prints what the bot process logged, to debug a failing run.
  if (process.env.SHOW_BOT_LOG) console.log(bot?.output());
  await bot?.stop();
  await server?.stop();
  await emulator?.close();
  await standIn?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('Telegram bot streaming replies', () => {
  const storyHtml = story.replace(/\*\*(\w+)\*\*/g, '<b>$1</b>');

  /** The bot's calls to one chat, of the given methods, in order. */
  function callsIn(chatId: number, ...methods: string[]): BotApiCall[] {
    return emulator.calls.filter((c) => methods.includes(c.method) && Number(c.params.chat_id) === chatId);
  }

  function expectApart(calls: Array<{ at: number }>, ms: number): void {
    for (let i = 1; i < calls.length; i++) {
      expect((calls[i]?.at ?? 0) - (calls[i - 1]?.at ?? 0)).toBeGreaterThanOrEqual(ms);
    }
  }

  it('streams into drafts in a private chat, at most twice a second, then sends the reply formatted', async () => {
    await say(user(1008), STORY);
    const [final] = await replies(1008);
    expect(final?.text).toBe(storyHtml);
    const drafts = emulator.drafts.filter((d) => d.chatId === 1008);
    // About 4 s of writing: a first draft at once, then one per half second at most.
    expect(drafts.length).toBeGreaterThanOrEqual(3);
    expectApart(drafts, 500);
    expect(drafts.every((d) => d.parseMode === 'HTML' && d.draftId === drafts[0]?.draftId)).toBe(true);
    expect(drafts.at(-1)?.text).toMatch(/^<b>word0<\/b> word1 word2/);
    const [sent] = callsIn(1008, 'sendMessage');
    expect(sent?.at).toBeGreaterThanOrEqual(drafts.at(-1)?.at ?? Infinity);
    expect(callsIn(1008, 'editMessageText')).toEqual([]);
  });

  it('shows the tool at work in the draft', async () => {
    await say(user(1010), CLOCK);
    const [final] = await replies(1010);
    expect(final?.text).toBe('It is <b>noon</b> in Paris.\n\n<i>🔧 get_datetime</i>');
    const drafts = emulator.drafts.filter((d) => d.chatId === 1010);
    expect(drafts[0]?.text).toBe('<i>🔧 Checking the time in Europe/Paris…</i>');
    expect(drafts.at(-1)?.text).toMatch(/^It is/);
  });

  it('edits one placeholder in a group at least 1.5 s apart, honouring a 429, into the reply', async () => {
    const member = user(1009, { type: 'group', chatId: -5009 });
    emulator.failNext('editMessageText', { retryAfter: 2 });
    await member.sendMessage(
      member.makeMessage(`@TestNameBot ${STORY}`, { entities: [{ type: 'mention', offset: 0, length: 12 }] }),
    );
    const [placeholder] = await replies(-5009);
    await vi.waitFor(
      () => {
        const stored = emulator.server.storage.botMessages.find(
          (m) => m.messageId === placeholder?.messageId,
        );
        expect(stored?.message.text).toBe(storyHtml);
      },
      { timeout: 15_000, interval: 100 },
    );
    const calls = callsIn(-5009, 'sendMessage', 'editMessageText', 'sendMessageDraft');
    expect(calls[0]?.method).toBe('sendMessage');
    expect(calls.slice(1).every((c) => c.method === 'editMessageText')).toBe(true);
    expectApart(calls, 1_500);
    const refused = calls.findIndex((c) => c.status === 429);
    expect(refused).toBeGreaterThan(0);
    expect((calls[refused + 1]?.at ?? 0) - (calls[refused]?.at ?? 0)).toBeGreaterThanOrEqual(2_000);
    // One message in the group, whatever the number of edits.
    expect(await waitForBotMessages(emulator, TOKEN, -5009, 0)).toEqual([]);
  });
});
