import { type FakeTurnStep, playTurn, turnEvent } from '@parley/rpc/testing';
import type { Update } from 'telegraf/types';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type BotCall, botHarness, telegramError } from './testing/bot-harness.ts';

// Telegram's limits as the whole bot keeps them (createBot, the Bot API faked at telegraf's callApi seam,
// fake time): one budget per chat for every send and edit, a 429 that pauses one chat, a refused chat
// that gets nothing more.

const GROUP = { id: -100, type: 'group' as const, title: 'Friends' };

/** A reply written in `words` pieces, one every `everyMs`. */
function paced(words: number, everyMs: number): FakeTurnStep[] {
  return [
    turnEvent.started('c1'),
    ...Array.from({ length: words }, (_, i) => [{ pauseMs: everyMs }, turnEvent.delta(`w${i} `)]).flat(),
    turnEvent.done('c1', Array.from({ length: words }, (_, i) => `w${i}`).join(' ')),
  ];
}

function mention(updateId: number, chat = GROUP): Update {
  const from = { id: 8 + updateId, is_bot: false, first_name: 'Bo' };
  const text = '@ParleyBot tell me a story';
  const entities = [{ type: 'mention' as const, offset: 0, length: 10 }];
  return { update_id: updateId, message: { message_id: updateId, date: 0, chat, from, text, entities } };
}

function privateText(updateId: number, chatId: number): Update {
  const chat = { id: chatId, type: 'private' as const, first_name: 'Ann' };
  const from = { id: chatId, is_bot: false, first_name: 'Ann' };
  return { update_id: updateId, message: { message_id: updateId, date: 0, chat, from, text: 'hi' } };
}

/** The sends and edits (what Telegram counts) to one chat. */
function messagesIn(calls: BotCall[], chatId: number): BotCall[] {
  return calls.filter(
    (c) => ['sendMessage', 'editMessageText'].includes(c.method) && Number(c.payload.chat_id) === chatId,
  );
}

/** The most calls within any `windowMs`. */
function busiestWindow(calls: BotCall[], windowMs: number): number {
  return Math.max(0, ...calls.map((c) => calls.filter((d) => d.at >= c.at && d.at < c.at + windowMs).length));
}

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe('Telegram’s limits', () => {
  it('stretches a long group reply’s edits to fit 20 a minute, and edits the whole reply in', async () => {
    const bot = botHarness({
      parley: { streamContinueConversation: (_r, o) => playTurn(paced(900, 100), o?.signal) },
    });
    await bot.receive(mention(1));
    await vi.advanceTimersByTimeAsync(100_000);
    expect(bot.pending()).toBe(0);
    const calls = messagesIn(bot.calls, GROUP.id);
    expect(busiestWindow(calls, 60_000)).toBeLessThanOrEqual(20);
    // 90 s of writing: a preview about every 3.3 s (18 a minute), not every 1.5 s.
    expect(calls.length).toBeGreaterThanOrEqual(25);
    expect(calls.length).toBeLessThanOrEqual(30);
    // The reply outgrew one message: its last part ends it.
    expect(calls.at(-1)?.payload.text).toMatch(/ w899$/);
  });

  it('shares one budget between replies streaming into one group, and each final goes out', async () => {
    const bot = botHarness({
      parley: { streamContinueConversation: (_r, o) => playTurn(paced(300, 100), o?.signal) },
    });
    for (let i = 1; i <= 3; i++) await bot.receive(mention(i));
    await vi.advanceTimersByTimeAsync(150_000);
    expect(bot.pending()).toBe(0);
    const calls = messagesIn(bot.calls, GROUP.id);
    expect(busiestWindow(calls, 60_000)).toBeLessThanOrEqual(20);
    const finals = calls.filter((c) => /w299$/.test(String(c.payload.text)));
    expect(finals).toHaveLength(3);
  });

  it('pauses only the chat a 429 was about: another chat is answered meanwhile', async () => {
    let refused = false;
    const bot = botHarness({
      parley: { streamContinueConversation: (_r, o) => playTurn(paced(20, 100), o?.signal) },
      refuse: (method, payload) => {
        if (refused || method !== 'sendMessage' || payload.chat_id !== GROUP.id) return undefined;
        refused = true;
        return telegramError(429, 'Too Many Requests: retry after 30', 30);
      },
    });
    const start = Date.now();
    await bot.receive(mention(1));
    await vi.advanceTimersByTimeAsync(3_000);
    await bot.receive(privateText(2, 7));
    await vi.advanceTimersByTimeAsync(5_000);
    // The group waits out its 30 s; the private chat has had its answer.
    expect(messagesIn(bot.calls, 7).map((c) => c.payload.text)).toEqual([expect.stringMatching(/w19$/)]);
    const group = messagesIn(bot.calls, GROUP.id);
    expect(group.map((c) => c.at - start)).toEqual([1_000]);
    await vi.advanceTimersByTimeAsync(30_000);
    const after = messagesIn(bot.calls, GROUP.id);
    expect(after[1]?.at).toBeGreaterThanOrEqual(start + 31_000);
    expect(after.at(-1)?.payload.text).toMatch(/w19$/);
  });

  it.each([
    ['blocked', 7, 403, 'Forbidden: bot was blocked by the user'],
    ['kicked', GROUP.id, 403, 'Forbidden: bot was kicked from the group chat'],
    ['chat_not_found', GROUP.id, 400, 'Bad Request: chat not found'],
  ])(
    'sends nothing more once Telegram refuses the chat (%s): no retry, no notice, counted',
    async (reason, chatId, code, text) => {
      const bot = botHarness({
        parley: { streamContinueConversation: (_r, o) => playTurn(paced(40, 100), o?.signal) },
        refuse: (_method, payload) =>
          Number(payload.chat_id) === chatId ? telegramError(code, text) : undefined,
      });
      const update = chatId === 7 ? privateText(1, 7) : mention(1);
      await bot.receive(update);
      await vi.advanceTimersByTimeAsync(30_000);
      expect(bot.pending()).toBe(0);
      const toChat = bot.calls.filter((c) => Number(c.payload.chat_id) === chatId);
      expect(toChat).toHaveLength(1);
      expect(await bot.metric('parley_bot_telegram_unreachable_chats_total')).toEqual({ [reason]: 1 });
      // Writing again makes the chat reachable: this time the answer is tried (and refused) once more.
      await bot.receive(chatId === 7 ? privateText(2, 7) : mention(2));
      await vi.advanceTimersByTimeAsync(30_000);
      expect(bot.calls.filter((c) => Number(c.payload.chat_id) === chatId)).toHaveLength(2);
    },
  );
});
