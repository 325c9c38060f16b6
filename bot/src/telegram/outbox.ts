import type { Logger } from '@parley/logger';
import type { InlineKeyboardMarkup } from 'telegraf/types';
import { DEFAULT_LOCALE, textsFor } from '../i18n/texts.ts';
import { ChatLimits } from './chat-limits.ts';
import { escapeHtml } from './reply-format.ts';
import { splitMessage } from './split-message.ts';
import { isParseError, isTransient, telegramFailure } from './telegram-failure.ts';

/** The part of the Bot API the outbox needs; telegraf's `Telegram` provides it. */
export interface MessageApi {
  sendMessage(chatId: number | string, text: string, extra?: SendExtra): Promise<unknown>;
  editMessageText(
    chatId: number | string,
    messageId: number,
    inlineMessageId: undefined,
    text: string,
    extra?: Pick<SendExtra, 'parse_mode' | 'reply_markup'>,
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
  /** Telegram's per-chat limits, shared with everything else that sends (live replies). */
  limits?: ChatLimits;
  /** The longest Telegram `retry_after` honoured; a longer one drops the message (logged). */
  maxRetryAfterSeconds?: number;
  sleep?: (ms: number) => Promise<void>;
  onEvent?: (event: SendEvent) => void;
  /** The notice for a chat that lost part of a reply, in the chat's language (default: English). */
  undelivered?: (chatId: number | string) => string;
}

const MAX_ATTEMPTS = 4;
/**
 * Waits before resending after a transient failure (Telegram 5xx, a network error): three tries within
 * about 4 s, then the chat is told. Bounded because the chat's lane waits meanwhile.
 */
const TRANSIENT_DELAYS_MS = [1_000, 3_000];
/** Telegram refuses an edit that changes nothing; for us that edit has succeeded. */
const NOT_MODIFIED = /message is not modified/i;

/**
 * What became of a message: `transient` was lost to failures that retrying did not cure (worth telling
 * the chat); `unreachable` will never reach the chat (blocked, kicked: nothing more is sent there).
 */
type Outcome = 'sent' | 'transient' | 'unreachable' | 'failed';

/** One Bot API call that puts `text` in the chat, with or without a parse mode. */
type Delivery = (text: string, parseMode: SendExtra['parse_mode']) => Promise<unknown>;

/**
 * Every message the bot sends goes through here: each call waits for the chat's turn under Telegram's
 * limits ({@link ChatLimits}), HTML is split to Telegram's size, resent as plain text when Telegram still
 * rejects the markup, a 429 pauses the chat for its `retry_after` (up to a bound) and transient failures
 * (5xx, network) are retried with backoff; when those still lose a message, the chat is told. A chat that
 * blocked or removed the bot gets nothing more: no retry, no notice.
 */
export class Outbox {
  readonly #deps: Required<Omit<OutboxDeps, 'onEvent'>> & Pick<OutboxDeps, 'onEvent'>;

  constructor(deps: OutboxDeps) {
    this.#deps = {
      limits: new ChatLimits(),
      maxRetryAfterSeconds: 120,
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      undelivered: () => textsFor(DEFAULT_LOCALE).t('outbox.undelivered'),
      ...deps,
    };
  }

  /** The chat limits every send and edit goes through. */
  get limits(): ChatLimits {
    return this.#deps.limits;
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
      const outcome = await this.#deliver(chatId, send, part);
      if (outcome === 'sent') continue;
      if (outcome === 'transient') await this.#tellUndelivered(chatId);
      return false;
    }
    return true;
  }

  /** Best effort, once: the failure that lost the reply may still be going on. */
  async #tellUndelivered(chatId: number | string): Promise<void> {
    if (!(await this.#deps.limits.take(chatId))) return;
    try {
      await this.#deps.api.sendMessage(chatId, this.#deps.undelivered(chatId));
    } catch (err) {
      this.#deps.logger.warn({ err }, 'could not tell the chat that a reply was lost');
    }
  }

  /**
   * Replaces the text of a message the bot sent with one part of HTML (at most 4096 characters), with the
   * same plain-text and 429 handling as a send. False when the message cannot be edited (gone, too old).
   */
  async edit(
    chatId: number | string,
    messageId: number,
    html: string,
    options: Pick<SendOptions, 'keyboard'> = {},
  ): Promise<boolean> {
    const markup: Pick<SendExtra, 'reply_markup'> = options.keyboard
      ? { reply_markup: options.keyboard }
      : {};
    const outcome = await this.#deliver(
      chatId,
      async (text, parseMode) => {
        try {
          return await this.#deps.api.editMessageText(
            chatId,
            messageId,
            undefined,
            text,
            parseMode ? { ...markup, parse_mode: parseMode } : markup,
          );
        } catch (err) {
          if (NOT_MODIFIED.test(telegramFailure(err)?.description ?? '')) return true;
          throw err;
        }
      },
      html,
    );
    return outcome === 'sent';
  }

  async #deliver(chatId: number | string, call: Delivery, html: string): Promise<Outcome> {
    const { limits, logger, onEvent } = this.#deps;
    let text = html;
    let parseMode: SendExtra['parse_mode'] = 'HTML';
    let transientRetries = 0;
    for (let attempt = 1; attempt <= MAX_ATTEMPTS + TRANSIENT_DELAYS_MS.length; attempt++) {
      if (!(await limits.take(chatId))) return 'unreachable';
      try {
        await call(text, parseMode);
        return 'sent';
      } catch (err) {
        const failure = telegramFailure(err);
        if (parseMode && failure && isParseError(failure)) {
          logger.warn(
            { description: failure.description },
            'Telegram rejected the HTML; resending as plain text',
          );
          onEvent?.('plain_text_fallback');
          parseMode = undefined;
          text = htmlToPlainText(html);
          continue;
        }
        const verdict = limits.failed(chatId, failure);
        if (verdict === 'unreachable') {
          logger.info(
            { description: failure?.description },
            'Telegram refuses this chat; sending nothing more',
          );
          return 'unreachable';
        }
        if (verdict === 'paused') {
          if (attempt < MAX_ATTEMPTS && this.#bearable(failure?.retryAfter)) continue;
          logger.warn({ retryAfter: failure?.retryAfter }, 'Telegram rate limit: message dropped');
          onEvent?.('failed');
          return 'failed';
        }
        const delay = isTransient(failure) ? TRANSIENT_DELAYS_MS[transientRetries++] : undefined;
        if (delay !== undefined) {
          onEvent?.('transient_retry');
          logger.info({ err, delayMs: delay }, 'Telegram failed; sending again shortly');
          await this.#deps.sleep(delay);
          continue;
        }
        logger.warn({ err, attempt }, 'could not send a message to Telegram');
        onEvent?.('failed');
        return isTransient(failure) ? 'transient' : 'failed';
      }
    }
    return 'transient';
  }

  /**
   * A 429 pauses the chat (the next `take` waits it out); a pause longer than the bound drops the message
   * instead, since the chat's lane would wait all that time.
   */
  #bearable(retryAfter: number | undefined): boolean {
    const seconds = retryAfter ?? 1;
    if (seconds > this.#deps.maxRetryAfterSeconds) return false;
    this.#deps.onEvent?.('rate_limited');
    this.#deps.logger.info({ retryAfter: seconds }, 'Telegram rate limit: this chat waits before resending');
    return true;
  }
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
