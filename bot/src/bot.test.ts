import { createLogger } from '@parley/logger';
import { RpcError, TurnEvent } from '@parley/rpc';
import {
  FakeChatClient,
  FakeIdentityClient,
  type FakeTurnStep,
  FakeUsageClient,
  playTurn,
  turnEvent,
} from '@parley/rpc/testing';
import { Registry } from 'prom-client';
import type { Telegram } from 'telegraf';
import type { Update, UserFromGetMe } from 'telegraf/types';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createBot } from './bot.ts';

const logger = createLogger({ name: 'test', level: 'silent', pretty: false });
const botInfo = { id: 99, is_bot: true, first_name: 'Parley', username: 'ParleyBot' } as UserFromGetMe;

/** A streamed turn of conversation c1 answering `content`. */
function reply(content: string, toolsUsed: string[] = []): () => FakeTurnStep[] {
  return () => [turnEvent.started('c1'), turnEvent.delta(content), turnEvent.done('c1', content, toolsUsed)];
}

function setup(
  answer: () => FakeTurnStep[],
  showTools = true,
  allowedUsers = { ids: [] as string[], usernames: [] as string[] },
) {
  const parley = new FakeChatClient({
    streamContinueConversation: (_req, opts) => playTurn(answer(), opts?.signal),
  });
  const registry = new Registry();
  const bot = createBot({
    token: '1:test',
    parley,
    usage: new FakeUsageClient(),
    identity: new FakeIdentityClient(),
    logger,
    registry,
    allowedUsers,
    showTools,
    rpcTimeoutMs: 1_000,
    botInfo,
  });
  const sent: Array<{ method: string; payload: Record<string, unknown>; at: number }> = [];
  // The Bot API seam: every telegraf call goes through `callApi`. This fake records the calls and fails
  // sendChatAction the way the emulator does (500), which the bot must shrug off.
  bot.telegraf.telegram.callApi = (async (method: string, payload: Record<string, unknown>) => {
    sent.push({ method, payload, at: Date.now() });
    if (method === 'sendChatAction') throw new Error('500: Internal Server Error');
    return { message_id: sent.length };
  }) as unknown as Telegram['callApi'];
  return {
    parley,
    turns: () => parley.requests('streamContinueConversation'),
    /** `parley_bot_updates_total` by kind. */
    async updates() {
      const metric = await registry.getSingleMetric('parley_bot_updates_total')?.get();
      return Object.fromEntries((metric?.values ?? []).map((v) => [v.labels.kind, v.value]));
    },
    messages: () => sent.filter((c) => c.method === 'sendMessage').map((c) => c.payload),
    /** Every Bot API call but the typing action, with its time. */
    calls: () => sent.filter((c) => c.method !== 'sendChatAction'),
    typing: () => sent.filter((c) => c.method === 'sendChatAction').map((c) => c.at),
    async send(update: Update) {
      await bot.telegraf.handleUpdate(update);
      await bot.queue.drain(1_000);
    },
    /** Handles the update under fake timers, letting `ms` of fake time pass. */
    async sendPaced(update: Update, ms: number) {
      await bot.telegraf.handleUpdate(update);
      await vi.advanceTimersByTimeAsync(ms);
      expect(bot.queue.size).toBe(0);
    },
  };
}

function textUpdate(updateId: number, text: string): Update {
  const chat = { id: 7, type: 'private' as const, first_name: 'Ann' };
  const from = { id: 7, is_bot: false, first_name: 'Ann' };
  return { update_id: updateId, message: { message_id: updateId, date: 0, chat, from, text } };
}

function groupUpdate(updateId: number, text: string, mention = false): Update {
  const chat = { id: -100, type: 'group' as const, title: 'Friends' };
  const from = { id: 8, is_bot: false, first_name: 'Bo' };
  const entities = mention ? [{ type: 'mention' as const, offset: 0, length: 10 }] : [];
  return { update_id: updateId, message: { message_id: updateId, date: 0, chat, from, text, entities } };
}

describe('createBot', () => {
  it('sends the message with the chat’s session and the update’s request id', async () => {
    const { turns, messages, send } = setup(reply('Hello **Ann**'));
    await send(textUpdate(41, 'hi'));
    expect(turns()).toEqual([
      { message: 'hi', session: { platform: 'telegram', userId: '7', chatId: '7' }, requestId: 'tg-41' },
    ]);
    expect(messages()).toEqual([{ chat_id: 7, text: 'Hello <b>Ann</b>', parse_mode: 'HTML' }]);
  });

  it('lists the assistant’s tools under /help, MCP ones with their server', async () => {
    const { parley, messages, send } = setup(reply('unused'));
    const tools = [
      { name: 'get_datetime', description: 'Current date and time', source: 'builtin' },
      { name: 'docs__search', description: 'Search <the> docs\nMore text', source: 'mcp:docs' },
    ];
    parley.listTools = async () => ({ tools });
    const help = textUpdate(1, '/help');
    if ('message' in help && 'text' in help.message) {
      help.message.entities = [{ type: 'bot_command', offset: 0, length: 5 }];
    }
    await send(help);
    expect(messages()[0]?.text).toContain(
      '<b>Tools I can use</b>\n• <code>get_datetime</code> — Current date and time\n' +
        '• <code>docs__search</code> — Search &lt;the&gt; docs <i>(mcp:docs)</i>',
    );
  });

  it('answers a redelivered update once', async () => {
    const { turns, messages, send } = setup(reply('once'));
    await send(textUpdate(5, 'hi'));
    await send(textUpdate(5, 'hi'));
    expect(turns()).toHaveLength(1);
    expect(messages()).toHaveLength(1);
  });

  it('shows the tools used in a discreet line, unless configured not to', async () => {
    const shown = setup(reply('Sunny.', ['get_weather', 'get_weather', 'get_datetime']));
    await shown.send(textUpdate(1, 'weather?'));
    expect(shown.messages()[0]?.text).toBe('Sunny.\n\n<i>🔧 get_weather, get_datetime</i>');
    const hidden = setup(reply('Sunny.', ['get_weather']), false);
    await hidden.send(textUpdate(1, 'weather?'));
    expect(hidden.messages()[0]?.text).toBe('Sunny.');
  });

  it('tells the user in plain words when the call fails, never the server’s text', async () => {
    const { messages, send } = setup(() => {
      throw new RpcError('upstream 503 from api.openai.com', 'unavailable');
    });
    await send(textUpdate(1, 'hi'));
    expect(messages()[0]?.text).toBe(
      'The assistant’s model is unavailable right now. Please try again in a minute.',
    );
  });

  it('refuses a stranger once per message for the bot, and ignores their group chatter', async () => {
    const { turns, messages, send } = setup(reply('never'), true, { ids: ['7'], usernames: [] });
    await send(groupUpdate(1, 'just chatting'));
    expect(messages()).toEqual([]);
    await send(groupUpdate(2, '@ParleyBot let me in', true));
    expect(messages()).toHaveLength(1);
    expect(messages()[0]?.text).toMatch(/Sorry, this bot is private/);
    expect(turns()).toEqual([]);
  });

  it('answers a group only when mentioned, as the group', async () => {
    const { turns, messages, send } = setup(reply('Hi all'));
    await send(groupUpdate(1, 'just chatting'));
    await send(groupUpdate(2, '@ParleyBot hello', true));
    expect(turns().map((r) => [r.message, r.session?.userId])).toEqual([['hello', 'group:-100']]);
    expect(messages()[0]).toMatchObject({ text: 'Hi all', reply_parameters: { message_id: 2 } });
  });

  it('counts each update once, by what became of it', async () => {
    const { updates, send } = setup(reply('ok'), true, { ids: ['7', '8'], usernames: [] });
    await send(textUpdate(1, 'hi'));
    await send(textUpdate(1, 'hi'));
    await send(groupUpdate(2, 'just chatting'));
    await send(textUpdate(3, '/help'));
    const stranger = { id: 9, is_bot: false, first_name: 'Eve' };
    await send({
      update_id: 4,
      message: {
        message_id: 4,
        date: 0,
        chat: { id: 9, type: 'private', first_name: 'Eve' },
        from: stranger,
        text: 'hi',
      },
    });
    expect(await updates()).toEqual({ handled: 2, duplicate: 1, ignored: 1, refused: 1 });
  });
});

describe('streamed replies', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  /** A reply written in `words` pieces, one every `everyMs`, after an optional tool call. */
  function paced(words: number, everyMs: number, tool?: { name: string; arguments: string }) {
    return (): FakeTurnStep[] => [
      turnEvent.started('c1'),
      ...(tool ? [turnEvent.tool(tool), { pauseMs: 5_000 }] : []),
      ...Array.from({ length: words }, (_, i) => [{ pauseMs: everyMs }, turnEvent.delta(`w${i} `)]).flat(),
      turnEvent.done('c1', Array.from({ length: words }, (_, i) => `w${i}`).join(' ')),
    ];
  }

  it('shows tool progress and the text in drafts, no faster than twice a second, then the reply', async () => {
    vi.useFakeTimers();
    const tool = { name: 'get_weather', arguments: '{"location":"Paris"}' };
    const { calls, sendPaced, typing } = setup(paced(40, 100, tool));
    const started = Date.now();
    await sendPaced(textUpdate(1, 'weather in Paris?'), 12_000);
    const drafts = calls().filter((c) => c.method === 'sendMessageDraft');
    expect(drafts[0]?.payload).toMatchObject({
      chat_id: 7,
      draft_id: 1,
      text: '<i>🔧 Looking up the weather in Paris…</i>',
      parse_mode: 'HTML',
    });
    expect(drafts.length).toBeLessThanOrEqual(1 + Math.ceil(4_000 / 500) + 1);
    for (let i = 1; i < drafts.length; i++) {
      expect((drafts[i]?.at ?? 0) - (drafts[i - 1]?.at ?? 0)).toBeGreaterThanOrEqual(500);
    }
    expect(String(drafts.at(-1)?.payload.text)).toMatch(/^w0 w1 .* w3\d$/);
    const final = calls().at(-1);
    expect(final?.method).toBe('sendMessage');
    expect(final?.payload.text).toMatch(/^w0 w1 .* w39$/);
    // "typing…" at once and 4.5 s later (the tool ran 5 s, the first word came at 5.1 s): then no more.
    expect(typing().map((at) => at - started)).toEqual([0, 4_500]);
  });

  it('edits one placeholder in a group, previews 3.3 s apart (20 a minute), into the formatted reply', async () => {
    vi.useFakeTimers();
    const { calls, sendPaced } = setup(paced(100, 100));
    await sendPaced(groupUpdate(3, '@ParleyBot tell me', true), 15_000);
    const [placeholder, ...edits] = calls();
    expect(placeholder).toMatchObject({
      method: 'sendMessage',
      payload: { reply_parameters: { message_id: 3 } },
    });
    expect(edits.length).toBeGreaterThanOrEqual(3);
    expect(edits.every((c) => c.method === 'editMessageText')).toBe(true);
    const previews = calls().slice(0, -1);
    for (let i = 1; i < previews.length; i++) {
      expect((previews[i]?.at ?? 0) - (previews[i - 1]?.at ?? 0)).toBeGreaterThanOrEqual(60_000 / 18);
    }
    // The final edit may use the slots kept for it, but still comes 1.5 s after the last preview.
    expect((edits.at(-1)?.at ?? 0) - (previews.at(-1)?.at ?? 0)).toBeGreaterThanOrEqual(1_500);
    expect(edits.at(-1)?.payload.text).toMatch(/^w0 w1 .* w99$/);
  });

  it('keeps what arrived of a reply cut short, with a note saying why', async () => {
    vi.useFakeTimers();
    const { messages, sendPaced } = setup(() => [
      turnEvent.started('c1'),
      turnEvent.delta('The first **half**'),
      { pauseMs: 100 },
      TurnEvent.create({
        event: { oneofKind: 'error', error: { code: 'unavailable', msg: 'boom', meta: {} } },
      }),
    ]);
    await sendPaced(textUpdate(1, 'hi'), 1_000);
    expect(messages()).toEqual([
      {
        chat_id: 7,
        parse_mode: 'HTML',
        text:
          'The first <b>half</b>\n\n<i>⚠️ The answer stopped here. ' +
          'The assistant’s model is unavailable right now. Please try again in a minute.</i>',
      },
    ]);
  });

  it('marks a reply the server stored as interrupted', async () => {
    const done = turnEvent.done('c1', 'Partial');
    if (done.event.oneofKind === 'done' && done.event.done.reply) done.event.done.reply.interrupted = true;
    const { messages, send } = setup(() => [turnEvent.started('c1'), turnEvent.delta('Partial'), done]);
    await send(textUpdate(1, 'hi'));
    expect(messages()[0]?.text).toBe('Partial\n\n<i>⚠️ The answer stopped here.</i>');
  });

  it('says the stream broke when it ends before the turn is done', async () => {
    const { messages, send } = setup(() => [turnEvent.started('c1')]);
    await send(textUpdate(1, 'hi'));
    expect(messages()[0]?.text).toBe(
      'The assistant’s model is unavailable right now. Please try again in a minute.',
    );
  });
});
