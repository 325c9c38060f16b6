import { createLogger } from '@parley/logger';
import type { Chat } from 'telegraf/types';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Outbox, type SendExtra } from '../telegram/outbox.ts';
import { DraftChats } from './draft-chats.ts';
import { EDIT_INTERVAL_MS, LiveReply, type LiveReplyTarget, type PreviewApi } from './live-reply.ts';

const logger = createLogger({ name: 'test', level: 'silent', pretty: false });
const PRIVATE: Chat = { id: 7, type: 'private', first_name: 'Ann' };
const GROUP: Chat = { id: -100, type: 'group', title: 'Friends' };

interface Call {
  method: 'sendMessageDraft' | 'sendMessage' | 'editMessageText';
  at: number;
  text: string;
  extra?: unknown;
}

/** A Bot API error as telegraf throws it (TelegramError keeps the response). */
function telegramError(error_code: number, description: string, retry_after?: number): Error {
  return Object.assign(new Error(`${error_code}: ${description}`), {
    response: { ok: false, error_code, description, ...(retry_after ? { parameters: { retry_after } } : {}) },
  });
}

/** Records every call with its (fake) time; `fail` queues errors for a method's next calls. */
class FakeTelegram implements PreviewApi {
  readonly calls: Call[] = [];
  readonly #failures = new Map<string, Error[]>();
  readonly #start = Date.now();

  fail(method: Call['method'], ...errors: Error[]): void {
    this.#failures.set(method, errors);
  }

  of(method: Call['method']): Call[] {
    return this.calls.filter((call) => call.method === method);
  }

  async sendMessageDraft(params: { text: string }): Promise<unknown> {
    return this.#record('sendMessageDraft', params.text);
  }

  async sendMessage(_chatId: number | string, text: string, extra?: SendExtra) {
    await this.#record('sendMessage', text, extra);
    return { message_id: this.calls.length };
  }

  async editMessageText(_c: number | string, _m: number, _i: undefined, text: string): Promise<unknown> {
    return this.#record('editMessageText', text);
  }

  async #record(method: Call['method'], text: string, extra?: unknown): Promise<true> {
    const failure = this.#failures.get(method)?.shift();
    if (failure) throw failure;
    this.calls.push({ method, at: Date.now() - this.#start, text, ...(extra ? { extra } : {}) });
    return true;
  }
}

function setup(chat: Chat, drafts = new DraftChats()) {
  const api = new FakeTelegram();
  const outbox = new Outbox({ api, logger });
  const deps = { api, outbox, drafts, logger };
  const open = (target: Partial<LiveReplyTarget> = {}) =>
    new LiveReply(deps, { chat, draftId: 1, ...target });
  return { api, drafts, open };
}

/** Offers a preview every `everyMs` for `totalMs`, as a model writing steadily would. */
async function write(reply: LiveReply, totalMs: number, everyMs = 100): Promise<string> {
  let text = '';
  for (let t = 0; t < totalMs; t += everyMs) {
    text += 'word ';
    const snapshot = text.trim();
    reply.show(() => snapshot);
    await vi.advanceTimersByTimeAsync(everyMs);
  }
  return text.trim();
}

/** Finishes the reply, letting fake time run for the waits it needs. */
async function finish(reply: LiveReply, html: string): Promise<boolean> {
  const finished = reply.finish(html);
  await vi.runAllTimersAsync();
  return finished;
}

function gaps(calls: Call[]): number[] {
  return calls.slice(1).map((call, i) => call.at - (calls[i]?.at ?? 0));
}

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe('LiveReply in a private chat', () => {
  it('streams drafts at most twice a second, then sends the reply as a message', async () => {
    const { api, open } = setup(PRIVATE);
    const reply = open();
    expect(reply.mode).toBe('draft');
    const text = await write(reply, 5_000);
    await finish(reply, `<b>${text}</b>`);
    const drafts = api.of('sendMessageDraft');
    expect(drafts[0]?.at).toBe(0);
    expect(drafts.length).toBeGreaterThanOrEqual(8);
    expect(drafts.length).toBeLessThanOrEqual(11);
    for (const gap of gaps(drafts)) expect(gap).toBeGreaterThanOrEqual(500);
    expect(api.of('sendMessage').map((c) => c.text)).toEqual([`<b>${text}</b>`]);
    expect(api.of('editMessageText')).toEqual([]);
  });

  it('honours a 429 on a draft before the next one', async () => {
    const { api, open } = setup(PRIVATE);
    api.fail('sendMessageDraft', telegramError(429, 'Too Many Requests: retry after 3', 3));
    const reply = open();
    await write(reply, 5_000);
    const drafts = api.of('sendMessageDraft');
    expect(drafts[0]?.at).toBeGreaterThanOrEqual(3_000);
  });

  it('falls back to an edited placeholder when the chat refuses drafts, and remembers the chat', async () => {
    const { api, drafts, open } = setup(PRIVATE);
    api.fail('sendMessageDraft', telegramError(400, 'Bad Request: TEXTDRAFT_PEER_INVALID'));
    const first = open();
    await write(first, 4_000);
    expect(first.mode).toBe('placeholder');
    await finish(first, 'final');
    expect(api.of('sendMessage')).toHaveLength(1);
    for (const gap of gaps(api.calls)) expect(gap).toBeGreaterThanOrEqual(EDIT_INTERVAL_MS);
    expect(api.calls.at(-1)).toMatchObject({ method: 'editMessageText', text: 'final' });
    expect(drafts.allows(PRIVATE)).toBe(false);
    expect(open().mode).toBe('placeholder');
  });
});

describe('LiveReply in a group', () => {
  it('shows a placeholder after a second, edits it at most every 1.5 s, and edits in the reply', async () => {
    const { api, open } = setup(GROUP);
    const reply = open({ replyTo: 55 });
    expect(reply.mode).toBe('placeholder');
    await write(reply, 8_000);
    await finish(reply, '<b>the whole reply</b>');
    const [placeholder, ...edits] = api.calls;
    expect(placeholder).toMatchObject({ method: 'sendMessage', at: 1_000 });
    expect(placeholder?.extra).toMatchObject({ reply_parameters: { message_id: 55 } });
    expect(edits.every((c) => c.method === 'editMessageText')).toBe(true);
    expect(edits.length).toBeLessThanOrEqual(5);
    for (const gap of gaps(api.calls)) expect(gap).toBeGreaterThanOrEqual(EDIT_INTERVAL_MS);
    expect(edits.at(-1)?.text).toBe('<b>the whole reply</b>');
    expect(api.of('sendMessageDraft')).toEqual([]);
  });

  it('sends a quick reply as one message, without a placeholder', async () => {
    const { api, open } = setup(GROUP);
    const reply = open({ replyTo: 55 });
    await write(reply, 600);
    await finish(reply, 'quick');
    expect(api.calls).toEqual([expect.objectContaining({ method: 'sendMessage', text: 'quick', at: 600 })]);
  });

  it('waits out a 429 on an edit, for the next preview and the final edit', async () => {
    const { api, open } = setup(GROUP);
    const reply = open();
    await write(reply, 1_200);
    api.fail('editMessageText', telegramError(429, 'Too Many Requests: retry after 5', 5));
    await write(reply, 3_000);
    await finish(reply, 'done');
    const [placeholder, ...edits] = api.calls;
    expect(placeholder?.at).toBe(1_000);
    // The edit due at 2.5 s was refused: nothing reaches the chat until 5 s after it.
    expect(edits[0]?.at).toBeGreaterThanOrEqual(7_500);
    expect(edits.at(-1)?.text).toBe('done');
  });

  it('edits the first part into the placeholder and sends the rest of a long reply as messages', async () => {
    const { api, open } = setup(GROUP);
    const reply = open();
    await write(reply, 1_500);
    const long = `${'a'.repeat(4_000)}\n\n${'b'.repeat(4_000)}\n\n${'c'.repeat(100)}`;
    await finish(reply, long);
    expect(api.calls.map((c) => [c.method, c.text.length])).toEqual([
      ['sendMessage', expect.any(Number)],
      ['editMessageText', 4_000],
      ['sendMessage', 4_000],
      ['sendMessage', 100],
    ]);
  });

  it('sends the reply anew when the placeholder was deleted', async () => {
    const { api, open } = setup(GROUP);
    const reply = open({ replyTo: 9 });
    await write(reply, 1_500);
    api.fail('editMessageText', telegramError(400, 'Bad Request: message to edit not found'));
    await finish(reply, 'final');
    expect(api.calls.map((c) => c.method)).toEqual(['sendMessage', 'sendMessage']);
    expect(api.calls.at(-1)).toMatchObject({ text: 'final', extra: { reply_parameters: { message_id: 9 } } });
  });
});
