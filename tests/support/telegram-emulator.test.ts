import { Telegram, TelegramError } from 'telegraf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTelegramEmulator, type TelegramEmulator } from './telegram-emulator.ts';

// The emulator's front through telegraf's own API client, as the bot calls it.

const TOKEN = '4242:emulator-test-token';
let emulator: TelegramEmulator;
let telegram: Telegram;

beforeAll(async () => {
  emulator = await startTelegramEmulator();
  telegram = new Telegram(TOKEN, { apiRoot: emulator.apiRoot });
});
afterAll(() => emulator.close());

/** telegraf 4.16's types stop at Bot API 7.1: newer methods go through callApi untyped, as the bot does. */
function sendDraft(params: Record<string, unknown>): Promise<unknown> {
  const callApi = telegram.callApi.bind(telegram) as (method: string, payload: unknown) => Promise<unknown>;
  return callApi('sendMessageDraft', params);
}

async function rejection(promise: Promise<unknown>): Promise<TelegramError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TelegramError);
  return err as TelegramError;
}

describe('the Telegram emulator front', () => {
  it('shows drafts in private chats and records them', async () => {
    const before = Date.now();
    expect(await sendDraft({ chat_id: 1001, draft_id: 7, text: 'Thinking', parse_mode: 'HTML' })).toBe(true);
    expect(await sendDraft({ chat_id: 1001, draft_id: 7, text: 'Thinking harder' })).toBe(true);
    expect(emulator.drafts.slice(-2)).toEqual([
      { chatId: 1001, draftId: 7, text: 'Thinking', parseMode: 'HTML', at: expect.any(Number) },
      { chatId: 1001, draftId: 7, text: 'Thinking harder', at: expect.any(Number) },
    ]);
    expect(emulator.drafts.at(-1)?.at).toBeGreaterThanOrEqual(before);
  });

  it('keeps a command menu per language and refuses what Telegram refuses', async () => {
    await telegram.setMyCommands([{ command: 'help', description: 'What I can do' }]);
    await telegram.setMyCommands([{ command: 'help', description: 'Что я умею' }], { language_code: 'ru' });
    expect(emulator.commands()).toEqual([{ command: 'help', description: 'What I can do' }]);
    expect(emulator.commands('ru')).toEqual([{ command: 'help', description: 'Что я умею' }]);
    expect(await telegram.getMyCommands({ language_code: 'ru' })).toEqual(emulator.commands('ru'));
    const badCommand = telegram.setMyCommands([{ command: 'Help!', description: 'x' }]);
    expect((await rejection(badCommand)).code).toBe(400);
    const badLanguage = telegram.setMyCommands([{ command: 'help', description: 'x' }], {
      language_code: 'russian',
    });
    expect((await rejection(badLanguage)).code).toBe(400);
  });

  it('refuses drafts in groups and with a zero draft_id, as Telegram does', async () => {
    const group = await rejection(sendDraft({ chat_id: -100123, draft_id: 1, text: 'x' }));
    expect(group.code).toBe(400);
    expect(group.description).toMatch(/^Bad Request/);
    expect((await rejection(sendDraft({ chat_id: 1001, draft_id: 0, text: 'x' }))).code).toBe(400);
  });

  it('learns chat types from the updates it delivers', async () => {
    // A group whose id is positive: only the delivered update tells it is not a private chat.
    const member = emulator.server.getClient(TOKEN, { userId: 77, chatId: 5005, type: 'group' });
    await member.sendMessage(member.makeMessage('hello group'));
    const updates = await telegram.getUpdates(0, 100, 0, undefined);
    expect(updates.length).toBeGreaterThan(0);
    expect((await rejection(sendDraft({ chat_id: 5005, draft_id: 1, text: 'x' }))).code).toBe(400);
  });

  it('answers 429 with retry_after when told to, then recovers', async () => {
    const sent = await telegram.sendMessage(1001, 'placeholder');
    emulator.failNext('editMessageText', { retryAfter: 3 });
    const limited = await rejection(telegram.editMessageText(1001, sent.message_id, undefined, 'one'));
    expect(limited.code).toBe(429);
    expect(limited.parameters?.retry_after).toBe(3);
    await telegram.editMessageText(1001, sent.message_id, undefined, 'two');
    emulator.failNext('sendMessage', { retryAfter: 1, times: 2 });
    await rejection(telegram.sendMessage(1001, 'a'));
    await rejection(telegram.sendMessage(1001, 'b'));
    await telegram.sendMessage(1001, 'c');
  });

  it('answers 429 for one chat only when told to', async () => {
    emulator.failNext('sendMessage', { retryAfter: 2, chatId: 1003 });
    await telegram.sendMessage(1001, 'another chat goes through');
    expect((await rejection(telegram.sendMessage(1003, 'limited'))).parameters?.retry_after).toBe(2);
    await telegram.sendMessage(1003, 'then it recovers');
  });

  it('refuses every call to a chat that blocked the bot, until it is accepted again', async () => {
    emulator.refuse(1002);
    const blocked = await rejection(telegram.sendMessage(1002, 'hello?'));
    expect([blocked.code, blocked.description]).toEqual([403, 'Forbidden: bot was blocked by the user']);
    expect((await rejection(telegram.sendChatAction(1002, 'typing'))).code).toBe(403);
    emulator.refuse(-1002, { code: 400, description: 'Bad Request: chat not found' });
    expect((await rejection(telegram.sendMessage(-1002, 'anyone?'))).description).toBe(
      'Bad Request: chat not found',
    );
    await telegram.sendMessage(1001, 'other chats are fine');
    emulator.accept(1002);
    await telegram.sendMessage(1002, 'welcome back');
  });

  it('timestamps every call with the status the bot got', async () => {
    const edits = emulator.callsTo('editMessageText');
    expect(edits.map((call) => [call.params.text, call.status])).toEqual([
      ['one', 429],
      ['two', 200],
    ]);
    const [first, second] = edits;
    expect(second?.at).toBeGreaterThanOrEqual(first?.at ?? Number.POSITIVE_INFINITY);
    expect(emulator.calls.some((call) => call.method === 'getUpdates')).toBe(false);
    expect(emulator.callsTo('sendMessageDraft').map((call) => call.status)).toContain(400);
  });
});
