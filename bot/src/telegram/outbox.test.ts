import { createLogger } from '@parley/logger';
import { describe, expect, it } from 'vitest';
import {
  htmlToPlainText,
  type MessageApi,
  Outbox,
  type SendEvent,
  type SendExtra,
  UNDELIVERED,
} from './outbox.ts';

const logger = createLogger({ name: 'test', level: 'silent', pretty: false });

/** A Bot API error as telegraf throws it (TelegramError keeps the response). */
function telegramError(error_code: number, description: string, retry_after?: number): Error {
  return Object.assign(new Error(`${error_code}: ${description}`), {
    response: { ok: false, error_code, description, ...(retry_after ? { parameters: { retry_after } } : {}) },
  });
}

/** Records sends and edits; fails the first calls with the given errors. */
class FakeApi implements MessageApi {
  readonly sent: Array<{ text: string; extra: SendExtra | undefined }> = [];
  readonly edited: Array<{ messageId: number; text: string; extra: SendExtra | undefined }> = [];
  constructor(private readonly failures: Error[] = []) {}
  async sendMessage(_chatId: number | string, text: string, extra?: SendExtra): Promise<unknown> {
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
    const api = new FakeApi([telegramError(429, 'Too Many Requests: retry after 3', 3)]);
    const { box, waits, events } = outbox(api);
    expect(await box.text(1, 'hello')).toBe(true);
    expect(waits).toEqual([3_000]);
    expect(events).toEqual(['rate_limited']);
    expect(api.sent.map((s) => s.text)).toEqual(['hello']);
  });

  it('gives up on a 429 that asks for too long a wait, or keeps coming', async () => {
    const long = outbox(new FakeApi([telegramError(429, 'Too Many Requests', 600)]));
    expect(await long.box.text(1, 'hello')).toBe(false);
    expect(long.waits).toEqual([]);
    const endless = outbox(new FakeApi(Array.from({ length: 10 }, () => telegramError(429, 'slow down', 1))));
    expect(await endless.box.text(1, 'hello')).toBe(false);
    expect(endless.waits).toEqual([1_000, 1_000, 1_000]);
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
    expect(api.sent).toEqual([{ text: UNDELIVERED, extra: undefined }]);
  });

  it('stops after a part that cannot be delivered', async () => {
    const api = new FakeApi([telegramError(403, 'Forbidden: bot was blocked by the user')]);
    const { box, events } = outbox(api);
    expect(await box.html(1, `${'a'.repeat(4_000)}\n\n${'b'.repeat(100)}`)).toBe(false);
    expect(api.sent).toEqual([]);
    expect(events).toEqual(['failed']);
  });
});

describe('Outbox.edit', () => {
  it('edits a message, waiting out a 429 and falling back to plain text like a send', async () => {
    const api = new FakeApi([
      telegramError(429, 'Too Many Requests: retry after 2', 2),
      telegramError(400, "Bad Request: can't parse entities"),
    ]);
    const { box, waits } = outbox(api);
    expect(await box.edit(1, 42, '<b>done</b> &amp; dusted')).toBe(true);
    expect(waits).toEqual([2_000]);
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
