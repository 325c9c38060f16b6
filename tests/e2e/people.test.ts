import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { spawnParley } from '../support/cli-processes.ts';
import { type OpenAiStandIn, startOpenAiStandIn } from '../support/openai-stand-in.ts';
import { startTelegramEmulator, type TelegramEmulator } from '../support/telegram-emulator.ts';
import {
  type BotStack,
  type SentMessage,
  startBotStack,
  waitForBotMessages,
} from '../support/telegram-stack.ts';

// One person in their own language: the real server, the real bot and the real `parley` command as
// processes, against the Telegram emulator and the OpenAI stand-in.

const TOKEN = '556677:parley-e2e-people-bot';
const BOT_KEY = 'bot-people-key-0123456789';
const CLI_KEY = 'cli-people-key-0123456789';

let standIn: OpenAiStandIn;
let emulator: TelegramEmulator;
let stack: BotStack | undefined;

/** A Telegram user whose app speaks `language`. */
function user(id: number, language: string) {
  const client = emulator.server.getClient(TOKEN, { userId: id, chatId: id, type: 'private' });
  const from = { from: { id, is_bot: false, first_name: 'Аня', language_code: language } };
  return {
    client,
    /** Taps a button of the bot's message, as this user's app sends it (with its language). */
    tap: (data: string, messageId: number | undefined) =>
      client.sendCallback(client.makeCallbackQuery(data, { ...from, message: { message_id: messageId } })),
    async say(text: string) {
      if (text.startsWith('/')) await client.sendCommand(client.makeCommand(text, from));
      else await client.sendMessage(client.makeMessage(text, from));
    },
  };
}

function replies(chatId: number, count = 1): Promise<SentMessage[]> {
  return waitForBotMessages(emulator, TOKEN, chatId, count);
}

function botMessage(messageId: number | undefined) {
  return emulator.server.storage.botMessages.find((m) => m.messageId === messageId)?.message;
}

function buttons(message: SentMessage | undefined) {
  return message?.reply_markup?.inline_keyboard?.flat() ?? [];
}

async function parley(args: string[], userId: string) {
  const child = spawnParley(args, {
    HOME: stack?.dataDir,
    PARLEY_URL: stack?.server.url,
    PARLEY_API_KEY: CLI_KEY,
    PARLEY_USER: userId,
  });
  child.child.stdin?.end('');
  return child.result;
}

beforeAll(async () => {
  standIn = await startOpenAiStandIn();
  emulator = await startTelegramEmulator();
  stack = await startBotStack({
    token: TOKEN,
    botKey: BOT_KEY,
    modelUrl: standIn.url,
    emulator,
    serverEnv: {
      API_KEYS: `bot=${BOT_KEY},cli=${CLI_KEY}`,
      OPENAI_MODEL: 'gpt-4o-mini',
      BUDGET_DAILY_TOKENS: '100000',
    },
  });
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  await emulator?.close();
  await standIn?.close();
});

describe('a Russian-speaking user in Telegram', () => {
  it('gets the menu, greeting, help, replies, history, deletion, usage and errors in Russian', async () => {
    const anya = user(5001, 'ru');
    expect(emulator.commands('ru')).toContainEqual({ command: 'help', description: 'Что я умею' });
    expect(emulator.commands()).toContainEqual({ command: 'help', description: 'What I can do' });

    await anya.say('/start');
    expect((await replies(5001))[0]?.text).toMatch(/^<b>Привет, я Parley<\/b> 👋/);
    await anya.say('/help');
    expect((await replies(5001))[0]?.text).toMatch(
      /^Напишите мне любое сообщение, чтобы поговорить\.\n\n\/new — /,
    );

    await anya.say('привет');
    expect((await replies(5001))[0]?.text).toBe('Echo: привет');
    const system = standIn.requests.at(-1)?.body.messages?.find((m) => m.role === 'system');
    expect(String(system?.content)).toContain("The user's language: Russian (ru).");
    await anya.say('как дела?');
    await replies(5001);

    await anya.say('/history');
    const [history] = await replies(5001);
    expect(history?.text.split('\n').slice(0, 2)).toEqual([
      '<b>Ваши недавние разговоры</b>',
      expect.stringMatching(/^1\. привет — 4 сообщения · .+ ◀ текущий$/),
    ]);

    await anya.say('/usage');
    const [usage] = await replies(5001);
    expect(usage?.text).toMatch(
      /^<b>Ваш расход<\/b>\nСегодня: \d+ из 100\u00a0000 токенов · осталось [\d\u00a0]+ · обновится через /,
    );

    standIn.script({ status: 500 });
    await anya.say('ещё вопрос');
    expect((await replies(5001))[0]?.text).toBe(
      'Модель ассистента сейчас недоступна. Попробуйте ещё раз через минуту.',
    );

    await anya.say('/delete');
    const [confirm] = await replies(5001);
    expect(confirm?.text).toBe('Удалить <b>привет</b> (5 сообщений)? Это нельзя отменить.');
    const [yes, keep] = buttons(confirm);
    expect([yes?.text, keep?.text]).toEqual(['🗑 Удалить', 'Оставить']);
    await anya.tap(yes?.callback_data ?? '', confirm?.messageId);
    await vi.waitFor(() => expect(botMessage(confirm?.messageId)?.text).toMatch(/^Удалено\./), {
      timeout: 5_000,
      interval: 50,
    });

    await anya.say('/language en');
    expect((await replies(5001))[0]?.text).toBe('Done. Language: English.');
    expect(emulator.commands('', 5001)).toContainEqual({ command: 'help', description: 'What I can do' });
    await anya.say('/new');
    expect((await replies(5001))[0]?.text).toBe('Started a new conversation. What’s on your mind?');
  });
});

describe('one person across Telegram and the terminal', () => {
  it('continues a conversation started in the CLI from Telegram, after linking with a code', async () => {
    const started = await parley(['ask', 'plan my trip to Kazan'], 'ann');
    expect(started.code).toBe(0);
    const ann = user(5002, 'en');

    await ann.say('/link');
    const [shown] = await replies(5002);
    const code = /<code>([A-Z0-9]{4}-[A-Z0-9]{4})<\/code>/.exec(shown?.text ?? '')?.[1] ?? '';
    expect(code).not.toBe('');
    const linked = await parley(['link', code], 'ann');
    expect(linked.stdout).toMatch(/^linked with bot:5002: /);
    expect((await parley(['link', code], 'ann')).stderr).toMatch(/unknown, used or expired/);

    await ann.say('/history');
    const [history] = await replies(5002);
    expect(history?.text).toContain('plan my trip to Kazan');
    const tripButton = buttons(history).find((b) => b.text.includes('plan my trip'));
    await ann.tap(tripButton?.callback_data ?? '', history?.messageId);
    await vi.waitFor(
      () => expect(botMessage(history?.messageId)?.text).toMatch(/^Switched to <b>plan my trip/),
      {
        timeout: 5_000,
        interval: 50,
      },
    );
    await ann.say('and the train times?');
    expect((await replies(5002))[0]?.text).toBe('Echo: and the train times?');
    const context = standIn.requests.at(-1)?.body.messages?.map((m) => String(m.content)) ?? [];
    expect(context).toContain('plan my trip to Kazan');

    const conversationId = tripButton?.callback_data?.slice(2) ?? '';
    const shownInCli = await parley(['show', conversationId], 'ann');
    expect(shownInCli.stdout).toContain('and the train times?');
    const usage = await parley(['usage', '--json'], 'ann');
    expect(Number(JSON.parse(usage.stdout).daily.used.turns)).toBe(2);
  });
});
