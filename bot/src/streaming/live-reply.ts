import type { Logger } from '@parley/logger';
import type { Chat } from 'telegraf/types';
import type { Outbox, SendExtra } from '../telegram/outbox.ts';
import { splitMessage } from '../telegram/split-message.ts';
import { isParseError, type TelegramFailure, telegramFailure } from '../telegram/telegram-failure.ts';
import type { DraftChats } from './draft-chats.ts';
import { type PacedSendResult, Pacer } from './pacer.ts';

/** Drafts animate in place and cost no message: about two updates a second. */
export const DRAFT_INTERVAL_MS = 500;
/**
 * The shortest gap between a placeholder's edits. Telegram allows about one message a second per chat and
 * 20 a minute per group, edits included: the chat's {@link ChatLimits} stretch this to what is left.
 */
export const EDIT_INTERVAL_MS = 1_500;
/** A reply finished within this needs no placeholder: it arrives as one message, the cheapest for a group. */
export const PLACEHOLDER_DELAY_MS = 1_000;

/** The Bot API calls a live reply makes itself; the finished reply goes through the {@link Outbox}. */
export interface PreviewApi {
  /** Bot API 9.5 `sendMessageDraft` (telegraf's types predate it). */
  sendMessageDraft(params: {
    chat_id: number;
    draft_id: number;
    text: string;
    parse_mode: 'HTML';
  }): Promise<unknown>;
  sendMessage(chatId: number, text: string, extra?: SendExtra): Promise<{ message_id: number }>;
  editMessageText(
    chatId: number,
    messageId: number,
    inlineMessageId: undefined,
    text: string,
    extra?: Pick<SendExtra, 'parse_mode'>,
  ): Promise<unknown>;
}

export interface LiveReplyDeps {
  api: PreviewApi;
  /** Sends the finished reply; its chat limits pace the previews too. */
  outbox: Outbox;
  drafts: DraftChats;
  logger: Logger;
}

export interface LiveReplyTarget {
  chat: Chat;
  /** Non-zero, one per reply: updates with the same id animate one draft. */
  draftId: number;
  /** The message answered; quoted by the placeholder (groups). */
  replyTo?: number;
}

/** Renders the reply so far as Telegram HTML of at most 4096 characters ('' for nothing to show yet). */
export type Preview = () => string;

/**
 * One reply being written in a chat. While the model writes, {@link show} keeps a preview up to date at a
 * rate Telegram accepts: a draft in private chats, else (groups, chats that refuse drafts) one placeholder
 * message that is edited, each edit taking a preview slot of the chat's budget (shared with every other
 * reply and message there), so the interval stretches as the budget runs low. {@link finish} then puts the formatted reply in place: new message(s) after a
 * draft, the placeholder edited into the first part after a placeholder (more parts follow as messages).
 */
export class LiveReply {
  readonly #deps: LiveReplyDeps;
  readonly #target: LiveReplyTarget;
  readonly #pacer: Pacer<Preview>;
  #mode: 'draft' | 'placeholder';
  #placeholderId: number | undefined;
  /** The HTML the placeholder shows now. */
  #shown: string | undefined;

  constructor(deps: LiveReplyDeps, target: LiveReplyTarget) {
    this.#deps = deps;
    this.#target = target;
    this.#mode = deps.drafts.allows(target.chat) ? 'draft' : 'placeholder';
    const draft = this.#mode === 'draft';
    this.#pacer = new Pacer({
      intervalMs: draft ? DRAFT_INTERVAL_MS : EDIT_INTERVAL_MS,
      firstDelayMs: draft ? 0 : PLACEHOLDER_DELAY_MS,
      send: (preview) => this.#showNow(preview()),
      acquire: () => this.#acquire(),
    });
  }

  get mode(): 'draft' | 'placeholder' {
    return this.#mode;
  }

  /** Offers a newer preview; it is rendered and shown when the rate allows, unless a newer one comes first. */
  show(preview: Preview): void {
    this.#pacer.push(preview);
  }

  /** Puts the finished reply (Telegram HTML, any length) in the chat. False when a part could not be sent. */
  async finish(html: string): Promise<boolean> {
    await this.#pacer.stop();
    const { outbox } = this.#deps;
    const chatId = this.#target.chat.id;
    const parts = splitMessage(html);
    const quote = this.#target.replyTo === undefined ? {} : { replyTo: this.#target.replyTo };
    const placeholder = this.#placeholderId;
    // A draft is dismissed by the bot's next message; nothing to clean up.
    if (this.#mode === 'draft' || placeholder === undefined) return outbox.parts(chatId, parts, quote);
    const [first = '', ...rest] = parts;
    if (first !== this.#shown) {
      await this.#pacer.ready();
      if (!(await outbox.edit(chatId, placeholder, first))) return outbox.parts(chatId, parts, quote);
    }
    return outbox.parts(chatId, rest);
  }

  /** Drafts cost no message but obey a 429's pause; a placeholder's send or edit takes a preview slot. */
  #acquire(): number {
    const { limits } = this.#deps.outbox;
    const chatId = this.#target.chat.id;
    if (this.#mode === 'placeholder') return limits.tryPreview(chatId);
    return limits.isUnreachable(chatId) ? Number.POSITIVE_INFINITY : limits.pausedFor(chatId);
  }

  #showNow(html: string): Promise<PacedSendResult | undefined> {
    if (!html) return Promise.resolve(undefined);
    return this.#mode === 'draft' ? this.#showDraft(html) : this.#showPlaceholder(html);
  }

  async #showDraft(html: string): Promise<PacedSendResult | undefined> {
    const { chat, draftId } = this.#target;
    try {
      await this.#deps.api.sendMessageDraft({
        chat_id: chat.id,
        draft_id: draftId,
        text: html,
        parse_mode: 'HTML',
      });
      return undefined;
    } catch (err) {
      const failure = telegramFailure(err);
      const verdict = this.#deps.outbox.limits.failed(chat.id, failure);
      if (verdict === 'paused') return pauseFor(failure);
      if (verdict === 'unreachable') return undefined;
      // No answer, a 5xx or markup Telegram could not read: this preview is lost, the next may do.
      if (!failure || failure.code >= 500 || isParseError(failure)) {
        this.#deps.logger.debug({ err }, 'draft update failed');
        return undefined;
      }
      this.#deps.drafts.refuse(chat.id);
      this.#deps.logger.info(
        { code: failure.code, description: failure.description },
        'drafts refused in this chat; streaming into an edited message instead',
      );
      this.#mode = 'placeholder';
      this.#pacer.intervalMs = EDIT_INTERVAL_MS;
      const wait = this.#deps.outbox.limits.tryPreview(chat.id);
      return wait > 0 ? { retryAfterMs: wait } : this.#showPlaceholder(html);
    }
  }

  async #showPlaceholder(html: string): Promise<PacedSendResult | undefined> {
    if (html === this.#shown) return undefined;
    const { api } = this.#deps;
    const { chat, replyTo } = this.#target;
    try {
      if (this.#placeholderId === undefined) {
        const extra: SendExtra = { parse_mode: 'HTML' };
        if (replyTo !== undefined) {
          extra.reply_parameters = { message_id: replyTo, allow_sending_without_reply: true };
        }
        this.#placeholderId = (await api.sendMessage(chat.id, html, extra)).message_id;
      } else {
        await api.editMessageText(chat.id, this.#placeholderId, undefined, html, { parse_mode: 'HTML' });
      }
      this.#shown = html;
    } catch (err) {
      const failure = telegramFailure(err);
      if (this.#deps.outbox.limits.failed(chat.id, failure) === 'paused') return pauseFor(failure);
      // Someone deleted the placeholder: the next preview starts a new one.
      if (/message to edit not found/i.test(failure?.description ?? '')) this.#placeholderId = undefined;
      this.#deps.logger.debug({ err }, 'preview update failed');
    }
    return undefined;
  }
}

function pauseFor(failure: TelegramFailure | undefined): PacedSendResult {
  return { retryAfterMs: (failure?.retryAfter ?? 1) * 1000 };
}
