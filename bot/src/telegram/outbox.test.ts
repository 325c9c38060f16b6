import { createLogger } from '@parley/logger';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { textsFor } from '../i18n/texts.ts';
import { ChatLimits } from './chat-limits.ts';
import { htmlToPlainText, type MessageApi, Outbox, type SendEvent, type SendExtra } from './outbox.ts';

const logger = createLogger({ name: 'test', level: 'silent', pretty: false });

/** A Bot API error as telegraf throws it (TelegramError keeps the response). */
function telegramError(error_code: number, description: string, retry_after?: number): Error {
  return Object.assign(new Error(`${error_code}: ${description}`), {
    response: { ok: false, error_code, description, ...(retry_after ? { parameters: { retry_after } } : {}) },
  });
}

/** Records sends and edits; fails the first calls with the given errors. */
class FakeApi implements MessageApi {
  calls = 0;
  readonly sent: Array<{ text: string; extra: SendExtra | undefined }> = [];
  readonly edited: Array<{ messageId: number; text: string; extra: SendExtra | undefined }> = [];
  constructor(private readonly failures: Error[] = []) {}
  async sendMessage(_chatId: number | string, text: string, extra?: SendExtra): Promise<unknown> {
    this.calls++;
    const failure = this.failures.shift();
    if (failure) throw failure;
    this.sent.push({ text, extra });
    return {};
  }
  async editMessageText(
    _chatId: number | string,
    messageId: number,
    _inline: undefined,
    text: string,
    extra?: SendExtra,
  ): Promise<unknown> {
    this.calls++;
    const failure = this.failures.shift();
    if (failure) throw failure;
    this.edited.push({ messageId, text, extra });
    return true;
  }
}

function outbox(api: MessageApi) {
  const waits: number[] = [];
  const events: SendEvent[] = [];
  const box = new Outbox({
    api,
    logger,
    sleep: async (ms) => {
      waits.push(ms);
    },
    onEvent: (e) => events.push(e),
  });
  return { box, waits, events };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('Outbox', () => {
  it('sends HTML in parts, quoting on the first and the keyboard on the last', async () => {
    const api = new FakeApi();
    const keyboard = { inline_keyboard: [[{ text: 'ok', callback_data: 'k' }]] };
    const { box } = outbox(api);
    expect(await box.html(1, `${'a'.repeat(4_000)}\n\n${'b'.repeat(100)}`, { replyTo: 5, keyboard })).toBe(
      true,
    );
    expect(api.sent.map((s) => s.text.length)).toEqual([4_000, 100]);
    expect(api.sent[0]?.extra).toEqual({
      parse_mode: 'HTML',
      reply_parameters: { message_id: 5, allow_sending_without_reply: true },
    });
    expect(api.sent[1]?.extra).toEqual({ parse_mode: 'HTML', reply_markup: keyboard });
  });

  it('resends as plain text when Telegram cannot parse the HTML', async () => {
    const api = new FakeApi([telegramError(400, "Bad Request: can't parse entities: unexpected end tag")]);
    const { box, events } = outbox(api);
    expect(await box.html(1, '<b>5 &lt; 6</b> &amp; more')).toBe(true);
    expect(api.sent).toEqual([{ text: '5 < 6 & more', extra: {} }]);
    expect(events).toEqual(['plain_text_fallback']);
  });

  it('waits out a 429 and sends again', async () => {
    vi.useFakeTimers();
    const api = new FakeApi([telegramError(429, 'Too Many Requests: retry after 3', 3)]);
    const { box, events } = outbox(api);
    const start = Date.now();
    const sent = box.text(1, 'hello');
    await vi.advanceTimersByTimeAsync(2_999);
    expect(api.sent).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(await sent).toBe(true);
    expect(Date.now() - start).toBe(3_000);
    expect(events).toEqual(['rate_limited']);
    expect(api.sent.map((s) => s.text)).toEqual(['hello']);
  });

  it('gives up on a 429 that asks for too long a wait, or keeps coming, without a notice', async () => {
    vi.useFakeTimers();
    const long = outbox(new FakeApi([telegramError(429, 'Too Many Requests', 600)]));
    expect(await long.box.text(1, 'hello')).toBe(false);
    const endless = outbox(new FakeApi(Array.from({ length: 10 }, () => telegramError(429, 'slow down', 1))));
    const start = Date.now();
    const sent = endless.box.text(1, 'hello');
    await vi.runAllTimersAsync();
    expect(await sent).toBe(false);
    // Four tries, each a second after the one refused before it.
    expect(Date.now() - start).toBe(3_000);
    expect(endless.events).toEqual(['rate_limited', 'rate_limited', 'rate_limited', 'failed']);
  });

  it('sends again after a Telegram 5xx, with backoff', async () => {
    const api = new FakeApi([telegramError(502, 'Bad Gateway')]);
    const { box, waits, events } = outbox(api);
    expect(await box.text(1, 'hello')).toBe(true);
    expect(waits).toEqual([1_000]);
    expect(events).toEqual(['transient_retry']);
    expect(api.sent.map((s) => s.text)).toEqual(['hello']);
  });

  it('tries three times over a network failure, then tells the chat the reply was lost', async () => {
    const reset = () =>
      Object.assign(new Error('request to api.telegram.org failed'), { code: 'ECONNRESET' });
    const api = new FakeApi([reset(), reset(), reset()]);
    const { box, waits, events } = outbox(api);
    expect(await box.html(1, `${'a'.repeat(4_000)}\n\n${'b'.repeat(100)}`)).toBe(false);
    expect(waits).toEqual([1_000, 3_000]);
    expect(events).toEqual(['transient_retry', 'transient_retry', 'failed']);
    expect(api.sent).toEqual([{ text: textsFor('en').t('outbox.undelivered'), extra: undefined }]);
  });

  it('stops after a part that cannot be delivered', async () => {
    const api = new FakeApi([telegramError(400, 'Bad Request: message is too long')]);
    const { box, events } = outbox(api);
    expect(await box.html(1, `${'a'.repeat(4_000)}\n\n${'b'.repeat(100)}`)).toBe(false);
    expect(api.sent).toEqual([]);
    expect(events).toEqual(['failed']);
  });

  it.each([
    ['blocked', 403, 'Forbidden: bot was blocked by the user'],
    ['kicked', 403, 'Forbidden: bot was kicked from the group chat'],
    ['chat_not_found', 400, 'Bad Request: chat not found'],
  ])(
    'sends nothing more, and tells nobody, once Telegram refuses the chat (%s)',
    async (reason, code, text) => {
      const unreachable: string[] = [];
      const api = new FakeApi([telegramError(code, text)]);
      const limits = new ChatLimits({ onUnreachable: (r) => unreachable.push(r) });
      const box = new Outbox({ api, logger, limits });
      expect(await box.html(-5, `${'a'.repeat(4_000)}\n\n${'b'.repeat(100)}`)).toBe(false);
      expect(await box.text(-5, 'and this?')).toBe(false);
      expect(await box.edit(-5, 1, 'or this?')).toBe(false);
      expect(api.calls).toBe(1);
      expect(api.sent).toEqual([]);
      expect(unreachable).toEqual([reason]);
      // Other chats are untouched; the chat itself may be answered again once it writes.
      expect(await box.text(6, 'hi')).toBe(true);
      limits.heardFrom(-5);
      expect(await box.text(-5, 'welcome back')).toBe(true);
    },
  );

  it('shares one budget per chat: a group gets 20 a minute, other chats go on meanwhile', async () => {
    vi.useFakeTimers();
    const api = new FakeApi();
    const { box } = outbox(api);
    const start = Date.now();
    const group = Promise.all(Array.from({ length: 25 }, (_, i) => box.text(-9, `g${i}`)));
    await vi.advanceTimersByTimeAsync(0);
    expect(api.sent).toHaveLength(20);
    expect(await box.text(6, 'private, at once')).toBe(true);
    await vi.advanceTimersByTimeAsync(59_999);
    expect(api.sent).toHaveLength(21);
    await vi.advanceTimersByTimeAsync(1);
    await group;
    expect(api.sent.at(-1)?.text).toBe('g24');
    expect(Date.now() - start).toBe(60_000);
  });

  it('spaces a private chat’s messages a second apart', async () => {
    vi.useFakeTimers();
    const api = new FakeApi();
    const { box } = outbox(api);
    const times: number[] = [];
    const start = Date.now();
    await Promise.all([
      box.text(3, 'one').then(() => times.push(Date.now() - start)),
      box.text(3, 'two').then(() => times.push(Date.now() - start)),
      box.text(3, 'three').then(() => times.push(Date.now() - start)),
      vi.advanceTimersByTimeAsync(5_000),
    ]);
    expect(times).toEqual([0, 1_000, 2_000]);
    expect(api.sent.map((s) => s.text)).toEqual(['one', 'two', 'three']);
  });

  it('pauses only the chat a 429 was about', async () => {
    vi.useFakeTimers();
    const api = new FakeApi([telegramError(429, 'Too Many Requests: retry after 10', 10)]);
    const { box } = outbox(api);
    const start = Date.now();
    const paused = box.text(-1, 'paused').then(() => Date.now() - start);
    await vi.advanceTimersByTimeAsync(0);
    const other = box.text(-2, 'other').then(() => Date.now() - start);
    const later = box.text(-1, 'later').then(() => Date.now() - start);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(await other).toBe(0);
    expect(await paused).toBe(10_000);
    expect(await later).toBe(10_000);
  });
});

describe('Outbox.edit', () => {
  it('edits a message, waiting out a 429 and falling back to plain text like a send', async () => {
    vi.useFakeTimers();
    const api = new FakeApi([
      telegramError(429, 'Too Many Requests: retry after 2', 2),
      telegramError(400, "Bad Request: can't parse entities"),
    ]);
    const { box } = outbox(api);
    const start = Date.now();
    const edited = box.edit(1, 42, '<b>done</b> &amp; dusted');
    await vi.runAllTimersAsync();
    expect(await edited).toBe(true);
    // 2 s of pause, then the plain-text resend a second after the refused call: every call counts.
    expect(Date.now() - start).toBe(3_000);
    expect(api.edited).toEqual([{ messageId: 42, text: 'done & dusted', extra: {} }]);
  });

  it('counts an edit that changes nothing as done, and one of a deleted message as failed', async () => {
    const same = outbox(new FakeApi([telegramError(400, 'Bad Request: message is not modified')]));
    expect(await same.box.edit(1, 42, 'same')).toBe(true);
    const gone = outbox(new FakeApi([telegramError(400, 'Bad Request: message to edit not found')]));
    expect(await gone.box.edit(1, 42, 'text')).toBe(false);
    expect(gone.events).toEqual(['failed']);
  });
});

describe('htmlToPlainText', () => {
  it('drops tags and decodes entities once', () => {
    expect(htmlToPlainText('<a href="x">a</a> &amp;lt; &quot;q&quot; &#128512;')).toBe('a &lt; "q" 😀');
  });
});
