import { type ChatClient, createChatClient } from '@parley/rpc';
import type { TelegramClient } from 'telegram-test-api/lib/modules/telegramClient';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { textsFor } from '../../bot/src/i18n/texts.ts';
import { type OpenAiStandIn, startOpenAiStandIn } from '../support/openai-stand-in.ts';
import { startTelegramEmulator, type TelegramEmulator } from '../support/telegram-emulator.ts';
import {
  type BotStack,
  type SentMessage,
  startBotStack,
  waitForBotMessages,
} from '../support/telegram-stack.ts';

// The bot's cost-control commands and the group /delete rule, with the real server (a policy with two
// models and a daily token budget) and the real bot as processes, against the Telegram emulator.

const TOKEN = '223344:parley-e2e-policy-bot';
const BOT_KEY = 'bot-policy-key-0123456789';

let standIn: OpenAiStandIn;
let emulator: TelegramEmulator;
let stack: BotStack | undefined;
let parley: ChatClient;

function user(id: number, chatId = id): TelegramClient {
  return emulator.server.getClient(TOKEN, {
    userId: id,
    chatId,
    type: chatId < 0 ? 'group' : 'private',
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

function buttons(message: SentMessage | undefined) {
  return message?.reply_markup?.inline_keyboard?.flat() ?? [];
}

/** The bot's message `messageId` as it is now (after edits). */
function botMessage(messageId: number | undefined) {
  return emulator.server.storage.botMessages.find((m) => m.messageId === messageId)?.message;
}

beforeAll(async () => {
  standIn = await startOpenAiStandIn();
  emulator = await startTelegramEmulator();
  stack = await startBotStack({
    token: TOKEN,
    botKey: BOT_KEY,
    modelUrl: standIn.url,
    emulator,
    serverEnv: { OPENAI_MODEL: 'gpt-4o-mini', ALLOWED_MODELS: 'small-model', BUDGET_DAILY_TOKENS: '100000' },
  });
  parley = createChatClient({ baseUrl: stack.server.url, apiKey: BOT_KEY, timeoutMs: 10_000 });
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  await emulator?.close();
  await standIn?.close();
});

describe('Telegram bot: usage, models and group deletes against the real server', () => {
  it('shows with /usage what the user used today and what is left of the budget', async () => {
    const ann = user(3001);
    await say(ann, 'hello');
    await replies(3001);
    await say(ann, '/usage');
    const [usage] = await replies(3001);
    expect(usage?.text).toMatch(
      /^<b>Your usage<\/b>\nToday: [1-9][\d,]* of 100,000 tokens · [\d,]+ left · resets in /,
    );
    expect(usage?.text).toContain('This month: ');
    expect(usage?.text).toContain('Model: <code>gpt-4o-mini</code>');
  });

  it('lists the allowed models with /model and runs the next turns on the one tapped', async () => {
    const bo = user(3002);
    await say(bo, '/model');
    const [menu] = await replies(3002);
    expect(buttons(menu).map((b) => [b.text, b.callback_data])).toEqual([
      ['✓ gpt-4o-mini (default)', 'm:gpt-4o-mini'],
      ['small-model', 'm:small-model'],
    ]);
    await bo.sendCallback(
      bo.makeCallbackQuery('m:small-model', { message: { message_id: menu?.messageId } }),
    );
    // The edit waits its turn: a private chat gets about one message (or edit) a second.
    await vi.waitFor(
      () => expect(botMessage(menu?.messageId)?.text).toMatch(/^Now using <code>small-model<\/code>/),
      { timeout: 5_000, interval: 50 },
    );
    await say(bo, 'which model?');
    expect((await replies(3002))[0]?.text).toBe('Echo: which model?');
    expect(standIn.requests.at(-1)?.body.model).toBe('small-model');
    const session = await parley.getSession({
      session: { platform: 'telegram', userId: '3002', chatId: '3002' },
    });
    expect(session.conversation?.model).toBe('small-model');
  });

  it('in a group, lets only the member who asked for /delete confirm it', async () => {
    const asker = user(3003, -3003);
    const other = user(3004, -3003);
    await asker.sendMessage(
      asker.makeMessage('@TestNameBot remember this', {
        entities: [{ type: 'mention', offset: 0, length: 12 }],
      }),
    );
    await replies(-3003);
    await say(asker, '/delete');
    const [confirm] = await replies(-3003);
    const yes = buttons(confirm)[0]?.callback_data ?? '';
    expect(yes).toMatch(/^d:[A-Za-z0-9_-]+:3003$/);
    const group = { platform: 'telegram', userId: 'group:-3003', chatId: '-3003' };
    await other.sendCallback(other.makeCallbackQuery(yes, { message: { message_id: confirm?.messageId } }));
    await vi.waitFor(() =>
      expect(emulator.callsTo('answerCallbackQuery').map((c) => c.params.text)).toContain(
        textsFor('en').t('delete.notYours'),
      ),
    );
    expect((await parley.listConversations({ session: group })).conversations).toHaveLength(1);
    await asker.sendCallback(asker.makeCallbackQuery(yes, { message: { message_id: confirm?.messageId } }));
    await vi.waitFor(async () =>
      expect((await parley.listConversations({ session: group })).conversations).toHaveLength(0),
    );
    await vi.waitFor(() => expect(botMessage(confirm?.messageId)?.text).toMatch(/^Deleted\./));
  });
});
