import { RecentIds } from './recent-ids.ts';
import { type TelegramFailure, type UnreachableReason, unreachableReason } from './telegram-failure.ts';

/** How many messages (sends and edits alike) one chat may get per window. */
export interface ChatRate {
  limit: number;
  windowMs: number;
  /**
   * Slots previews may not use, kept for messages that must go out (a finished reply, a command's
   * answer), so a reply streaming at full budget never holds up its own final message for long.
   */
  reserve: number;
}

/** Telegram's flood limits (Bot API FAQ): 20 messages a minute in a group; edits count. */
export const GROUP_RATE: ChatRate = { limit: 20, windowMs: 60_000, reserve: 2 };
/** About one message a second in any one chat. */
export const PRIVATE_RATE: ChatRate = { limit: 1, windowMs: 1_000, reserve: 0 };
/** About 30 messages a second over all chats together. */
export const OVERALL_RATE: ChatRate = { limit: 30, windowMs: 1_000, reserve: 5 };

export interface ChatLimitsOptions {
  group?: ChatRate;
  private?: ChatRate;
  /** What the bot sends over all chats together. */
  overall?: ChatRate;
  /** Called when Telegram refuses a chat for good (counted by the metrics). */
  onUnreachable?: (reason: UnreachableReason) => void;
  /** Longest a 429 may pause a chat; Telegram's answer is capped to this. */
  maxPauseMs?: number;
}

interface ChatState {
  rate: ChatRate;
  /** When each message within the current window went out, oldest first. */
  sent: number[];
  pausedUntil: number;
  lastPreviewAt: number;
  /** Must-go messages waiting their turn: previews yield to them. */
  waiting: number;
  /** The waiters, in order: each waits for the one before it. */
  tail: Promise<unknown>;
}

/** Chats whose state is kept while idle; beyond this, idle ones are swept. */
const SWEEP_ABOVE = 10_000;
/** Chats remembered as unreachable; the oldest are forgotten (and tried again) beyond this. */
const REMEMBERED_UNREACHABLE = 10_000;

/**
 * Telegram's limits per chat, shared by everything the bot sends there: the outbox's messages and edits,
 * every live reply's previews. A group gets 20 a minute, other chats one a second (ids below zero are
 * groups, supergroups and channels), and all chats together about 30 a second. Messages that must go out wait their turn ({@link take}); previews
 * only take what is left after a reserve, spread evenly over the window ({@link tryPreview}), so
 * several replies streaming into one chat share the budget and their finals still go out. A 429 pauses
 * that chat alone ({@link failed}); a 403 or "chat not found" marks it unreachable until it writes again.
 */
export class ChatLimits {
  readonly #chats = new Map<string, ChatState>();
  readonly #unreachable = new RecentIds<string>(REMEMBERED_UNREACHABLE);
  /** When each message of the last overall window went out, over all chats. */
  readonly #overall: number[] = [];
  readonly #options: Required<Omit<ChatLimitsOptions, 'onUnreachable'>> &
    Pick<ChatLimitsOptions, 'onUnreachable'>;

  constructor(options: ChatLimitsOptions = {}) {
    this.#options = {
      group: GROUP_RATE,
      private: PRIVATE_RATE,
      overall: OVERALL_RATE,
      maxPauseMs: 300_000,
      ...options,
    };
  }

  /**
   * Waits until a message may go to the chat (in order of asking, after any pause), and counts it.
   * False, at once, when the chat is unreachable: nothing should be sent.
   */
  take(chatId: number | string): Promise<boolean> {
    const chat = this.#chat(chatId);
    chat.waiting++;
    const turn = chat.tail.then(async () => {
      for (;;) {
        if (this.isUnreachable(chatId)) return false;
        const wait = this.#waitFor(chat, chat.rate.limit, this.#options.overall.limit);
        if (wait === 0) {
          this.#count(chat, Date.now());
          return true;
        }
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    });
    chat.tail = turn.finally(() => chat.waiting--);
    return turn;
  }

  /**
   * Takes a slot for a preview (a placeholder or its edit) if one is free now: 0 when taken, else how
   * long to wait before asking again. Previews leave the reserve alone, yield to waiting messages, and
   * are spread over the window (a group's 18 preview slots a minute: one every 3.3 s per chat).
   */
  tryPreview(chatId: number | string): number {
    if (this.isUnreachable(chatId)) return Number.POSITIVE_INFINITY;
    const chat = this.#chat(chatId);
    const { limit, reserve, windowMs } = chat.rate;
    const spacing = windowMs / Math.max(1, limit - reserve);
    const overall = this.#options.overall;
    const now = Date.now();
    const wait = Math.max(
      this.#waitFor(chat, Math.max(1, limit - reserve), Math.max(1, overall.limit - overall.reserve)),
      chat.lastPreviewAt + spacing - now,
      chat.waiting > 0 ? spacing : 0,
    );
    if (wait > 0) return Math.ceil(wait);
    this.#count(chat, now);
    chat.lastPreviewAt = now;
    return 0;
  }

  /** How long the chat is paused by a 429 (0 when it is not): drafts cost no message but obey it. */
  pausedFor(chatId: number | string): number {
    const chat = this.#chats.get(String(chatId));
    return chat ? Math.max(0, chat.pausedUntil - Date.now()) : 0;
  }

  /**
   * Learns from a failed call to the chat: a 429 pauses the chat for its `retry_after` (only this chat),
   * a 403 or "chat not found" makes it unreachable. Returns what it made of the failure.
   */
  failed(
    chatId: number | string,
    failure: TelegramFailure | undefined,
  ): 'paused' | 'unreachable' | undefined {
    if (failure?.code === 429) {
      const chat = this.#chat(chatId);
      const pauseMs = Math.min((failure.retryAfter ?? 1) * 1000, this.#options.maxPauseMs);
      chat.pausedUntil = Math.max(chat.pausedUntil, Date.now() + pauseMs);
      return 'paused';
    }
    const reason = unreachableReason(failure);
    if (!reason) return undefined;
    // Counted once per chat: after this nothing more is sent there, so nothing more can be refused.
    if (this.#unreachable.add(String(chatId))) this.#options.onUnreachable?.(reason);
    return 'unreachable';
  }

  isUnreachable(chatId: number | string): boolean {
    return this.#unreachable.has(String(chatId));
  }

  /** The chat wrote to the bot (unblocked it, added it back): it may be answered again. */
  heardFrom(chatId: number | string): void {
    this.#unreachable.delete(String(chatId));
  }

  /**
   * Milliseconds until the chat has fewer than `limit` messages in its window, all chats together fewer
   * than `overall`, and the chat no pause.
   */
  #waitFor(chat: ChatState, limit: number, overall: number): number {
    const now = Date.now();
    const chatWait = untilRoom(chat.sent, limit, chat.rate.windowMs, now);
    const overallWait = untilRoom(this.#overall, overall, this.#options.overall.windowMs, now);
    return Math.max(chatWait, overallWait, chat.pausedUntil - now);
  }

  #count(chat: ChatState, now: number): void {
    chat.sent.push(now);
    this.#overall.push(now);
  }

  #chat(chatId: number | string): ChatState {
    const key = String(chatId);
    let chat = this.#chats.get(key);
    if (!chat) {
      if (this.#chats.size >= SWEEP_ABOVE) this.#sweep();
      const rate = isGroupId(chatId) ? this.#options.group : this.#options.private;
      chat = {
        rate,
        sent: [],
        pausedUntil: 0,
        lastPreviewAt: -Infinity,
        waiting: 0,
        tail: Promise.resolve(),
      };
      this.#chats.set(key, chat);
    }
    return chat;
  }

  /** Forgets chats with nothing in their window, no pause and nobody waiting. */
  #sweep(): void {
    const now = Date.now();
    for (const [key, chat] of this.#chats) {
      const last = chat.sent.at(-1) ?? -Infinity;
      if (chat.waiting === 0 && chat.pausedUntil <= now && last <= now - chat.rate.windowMs) {
        this.#chats.delete(key);
      }
    }
  }
}

/** Drops the times that left the window; then milliseconds until fewer than `limit` remain in it. */
function untilRoom(sent: number[], limit: number, windowMs: number, now: number): number {
  while (sent.length > 0 && (sent[0] ?? 0) <= now - windowMs) sent.shift();
  if (sent.length < limit) return 0;
  return Math.max(0, (sent[sent.length - limit] ?? now) + windowMs - now);
}

/** Telegram's ids: users (private chats) are positive; groups, supergroups and channels negative. */
function isGroupId(chatId: number | string): boolean {
  return typeof chatId === 'string' ? !/^\d+$/.test(chatId) : chatId < 0;
}
