import type { Logger } from '@parley/logger';
import type { InlineKeyboardMarkup } from 'telegraf/types';
import { escapeHtml } from './reply-format.ts';
import { splitMessage } from './split-message.ts';

/** The part of the Bot API the outbox needs; telegraf's `Telegram` provides it. */
export interface MessageApi {
  sendMessage(chatId: number | string, text: string, extra?: SendExtra): Promise<unknown>;
  editMessageText(
    chatId: number | string,
    messageId: number,
    inlineMessageId: undefined,
    text: string,
    extra?: Pick<SendExtra, 'parse_mode'>,
  ): Promise<unknown>;
}

export interface SendExtra {
  parse_mode?: 'HTML';
  reply_markup?: InlineKeyboardMarkup;
  reply_parameters?: { message_id: number; allow_sending_without_reply?: boolean };
}

export interface SendOptions {
  /** Answer this message (first part only): in a busy group the reply says what it answers. */
  replyTo?: number;
  /** Inline keyboard, attached to the last part. */
  keyboard?: InlineKeyboardMarkup;
}

/** Why a message was retried or dropped; counted by the metrics. */
export type SendEvent = 'rate_limited' | 'transient_retry' | 'plain_text_fallback' | 'failed';

export interface OutboxDeps {
  api: MessageApi;
  logger: Logger;
  /** The longest Telegram `retry_after` honoured; a longer one drops the message (logged). */
  maxRetryAfterSeconds?: number;
  sleep?: (ms: number) => Promise<void>;
  onEvent?: (event: SendEvent) => void;
}

const MAX_ATTEMPTS = 4;
/**
 * Waits before resending after a transient failure (Telegram 5xx, a network error): three tries within
 * about 4 s, then the chat is told. Bounded because the chat's lane waits meanwhile.
 */
const TRANSIENT_DELAYS_MS = [1_000, 3_000];
export const UNDELIVERED =
  'Sorry, Telegram failed while I was sending my answer, so part of it is missing. Please ask again.';
const PARSE_ERROR = /can't parse entities|unsupported start tag|can't find end tag|unexpected end tag/i;
/** Telegram refuses an edit that changes nothing; for us that edit has succeeded. */
const NOT_MODIFIED = /message is not modified/i;

/** One Bot API call that puts `text` in the chat, with or without a parse mode. */
type Delivery = (text: string, parseMode: SendExtra['parse_mode']) => Promise<unknown>;

/**
 * Every message the bot sends goes through here: HTML split to Telegram's size, a plain-text resend when
 * Telegram still rejects the markup, Telegram's 429 `retry_after` honoured up to a bound, and transient
 * failures (5xx, network) retried with backoff; when those still lose a message, the chat is told.
 */
export class Outbox {
  readonly #deps: Required<Omit<OutboxDeps, 'onEvent'>> & Pick<OutboxDeps, 'onEvent'>;

  constructor(deps: OutboxDeps) {
    this.#deps = {
      maxRetryAfterSeconds: 30,
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      ...deps,
    };
  }

  /** Sends plain text (escaped here). Resolves false when a part could not be delivered (logged). */
  text(chatId: number | string, text: string, options: SendOptions = {}): Promise<boolean> {
    return this.html(chatId, escapeHtml(text), options);
  }

  /** Sends Telegram HTML, split into as many messages as needed, in order. */
  html(chatId: number | string, html: string, options: SendOptions = {}): Promise<boolean> {
    return this.parts(chatId, splitMessage(html), options);
  }

  /** Sends HTML already split to Telegram's size (see `splitMessage`), one message each, in order. */
  async parts(
    chatId: number | string,
    parts: readonly string[],
    options: SendOptions = {},
  ): Promise<boolean> {
    for (const [index, part] of parts.entries()) {
      const extra: SendExtra = {};
      if (index === 0 && options.replyTo !== undefined) {
        extra.reply_parameters = { message_id: options.replyTo, allow_sending_without_reply: true };
      }
      if (index === parts.length - 1 && options.keyboard) extra.reply_markup = options.keyboard;
      const send: Delivery = (text, parseMode) =>
        this.#deps.api.sendMessage(chatId, text, parseMode ? { ...extra, parse_mode: parseMode } : extra);
      const outcome = await this.#deliver(send, part);
      if (outcome === 'sent') continue;
      if (outcome === 'transient') await this.#tellUndelivered(chatId);
      return false;
    }
    return true;
  }

  /** Best effort, once: the failure that lost the reply may still be going on. */
  async #tellUndelivered(chatId: number | string): Promise<void> {
    try {
      await this.#deps.api.sendMessage(chatId, UNDELIVERED);
    } catch (err) {
      this.#deps.logger.warn({ err }, 'could not tell the chat that a reply was lost');
    }
  }

  /**
   * Replaces the text of a message the bot sent with one part of HTML (at most 4096 characters), with the
   * same plain-text and 429 handling as a send. False when the message cannot be edited (gone, too old).
   */
  async edit(chatId: number | string, messageId: number, html: string): Promise<boolean> {
    const outcome = await this.#deliver(async (text, parseMode) => {
      try {
        return await this.#deps.api.editMessageText(
          chatId,
          messageId,
          undefined,
          text,
          parseMode ? { parse_mode: parseMode } : {},
        );
      } catch (err) {
        if (NOT_MODIFIED.test(telegramFailure(err)?.description ?? '')) return true;
        throw err;
      }
    }, html);
    return outcome === 'sent';
  }

  /** `transient`: lost to failures that retrying did not cure (worth telling the chat about). */
  async #deliver(call: Delivery, html: string): Promise<'sent' | 'transient' | 'failed'> {
    let text = html;
    let parseMode: SendExtra['parse_mode'] = 'HTML';
    let transientRetries = 0;
    for (let attempt = 1; attempt <= MAX_ATTEMPTS + TRANSIENT_DELAYS_MS.length; attempt++) {
      try {
        await call(text, parseMode);
        return 'sent';
      } catch (err) {
        const failure = telegramFailure(err);
        if (parseMode && failure && isParseError(failure)) {
          this.#deps.logger.warn(
            { description: failure.description },
            'Telegram rejected the HTML; resending as plain text',
          );
          this.#deps.onEvent?.('plain_text_fallback');
          parseMode = undefined;
          text = htmlToPlainText(html);
          continue;
        }
        if (failure?.code === 429 && attempt < MAX_ATTEMPTS && (await this.#waitOut(failure.retryAfter)))
          continue;
        const transient = isTransient(failure);
        const delay = transient ? TRANSIENT_DELAYS_MS[transientRetries++] : undefined;
        if (delay !== undefined) {
          this.#deps.onEvent?.('transient_retry');
          this.#deps.logger.info({ err, delayMs: delay }, 'Telegram failed; sending again shortly');
          await this.#deps.sleep(delay);
          continue;
        }
        this.#deps.logger.warn({ err, attempt }, 'could not send a message to Telegram');
        this.#deps.onEvent?.('failed');
        return transient || failure?.code === 429 ? 'transient' : 'failed';
      }
    }
    return 'transient';
  }

  /** Waits out a 429 when Telegram asks for a bounded pause; false when the pause is too long. */
  async #waitOut(retryAfter: number | undefined): Promise<boolean> {
    const seconds = retryAfter ?? 1;
    if (seconds > this.#deps.maxRetryAfterSeconds) return false;
    this.#deps.onEvent?.('rate_limited');
    this.#deps.logger.info({ retryAfter: seconds }, 'Telegram rate limit: waiting before resending');
    await this.#deps.sleep(seconds * 1000);
    return true;
  }
}

export interface TelegramFailure {
  code: number;
  description: string;
  retryAfter?: number;
}

/**
 * A failure that may pass: Telegram's 5xx, or no Bot API answer at all (connection refused or reset, DNS,
 * a timeout). A network error after Telegram took the message may send it twice; losing it is worse.
 */
function isTransient(failure: TelegramFailure | undefined): boolean {
  return failure === undefined || failure.code >= 500;
}

/** Reads telegraf's TelegramError structurally (`response.error_code`, `response.parameters`). */
export function telegramFailure(err: unknown): TelegramFailure | undefined {
  if (!(err instanceof Error) || !('response' in err)) return undefined;
  const response = (err as { response?: unknown }).response as
    | { error_code?: unknown; description?: unknown; parameters?: { retry_after?: unknown } }
    | undefined;
  if (typeof response?.error_code !== 'number') return undefined;
  const failure: TelegramFailure = {
    code: response.error_code,
    description: typeof response.description === 'string' ? response.description : '',
  };
  const retryAfter = response.parameters?.retry_after;
  if (typeof retryAfter === 'number' && retryAfter >= 0) failure.retryAfter = retryAfter;
  return failure;
}

/** Telegram refused the markup (not the message): the same text as plain text would go through. */
export function isParseError(failure: TelegramFailure | undefined): boolean {
  return failure?.code === 400 && PARSE_ERROR.test(failure.description);
}

/** What Telegram would have shown for the HTML, as plain text: tags dropped, entities decoded. */
export function htmlToPlainText(html: string): string {
  return html
    .replace(/<[^>]*>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#(\d+);/g, (_, code: string) => String.fromCodePoint(Number(code)))
    .replace(/&amp;/g, '&');
}
