import type { StoredMessage } from './conversation-store.ts';

// The embedded store's copy of each busy conversation's newest messages (embedded-conversation-store.ts
// keeps it current). Messages are append-only: seq n is written once, with `last_seq` = n, in one
// transaction, and only a delete of the whole conversation removes them. So a window read when
// `last_seq` was L is still exactly right while `last_seq` is L, whichever process asks.

export interface RecentWindowsOptions {
  /** Conversations kept at most (least recently used dropped first). */
  maxConversations?: number;
  /** Size kept at most, in characters of text plus {@link MESSAGE_OVERHEAD} a message. */
  maxChars?: number;
}

const DEFAULT_MAX_CONVERSATIONS = 1_000;
const DEFAULT_MAX_CHARS = 4_000_000;
/**
 * Characters a message counts for besides its text: its object, id, date and arrays, as bytes of heap
 * (measured: ≈ 370 bytes for a message of 27 characters). So the size is about the bytes kept.
 */
export const MESSAGE_OVERHEAD = 320;
/** Messages a window keeps before any read asked for more (the assistant's default window is 60). */
const FIRST_WINDOW = 64;
/** A larger limit than this is read from SQLite every time. */
const MAX_WINDOW = 1_000;
/** A window kept is at most this share of `maxChars` when read. */
const LARGEST_SHARE = 8;

interface Window {
  /** `last_seq` of the conversation when `messages` were its newest. */
  lastSeq: number;
  /** Oldest first, the last one's seq = `lastSeq` (none when it is 0). */
  messages: StoredMessage[];
  /** `messages` are all the conversation has. */
  complete: boolean;
  chars: number;
}

/**
 * Per conversation, its newest messages and the `last_seq` they were read at; least recently used first,
 * bounded by conversations and by size. Starts empty. Windows share their message objects with callers:
 * the callers only read them (checked: the turn's history, the retry check); arrays are never shared.
 */
export class RecentWindows {
  readonly #windows = new Map<string, Window>();
  readonly #maxConversations: number;
  readonly #maxChars: number;
  /** How many messages a window keeps: the largest limit asked for. */
  #keep = FIRST_WINDOW;
  #chars = 0;

  constructor(options: RecentWindowsOptions = {}) {
    this.#maxConversations = options.maxConversations ?? DEFAULT_MAX_CONVERSATIONS;
    this.#maxChars = options.maxChars ?? DEFAULT_MAX_CHARS;
  }

  /** Whether a limit this large is kept at all. */
  keeps(limit: number): boolean {
    return limit <= MAX_WINDOW;
  }

  /**
   * The newest `limit` messages (a new array), when the kept window was read at `lastSeq` and holds
   * them; else undefined (a window read at another `last_seq` is dropped).
   */
  read(conversationId: string, lastSeq: number, limit: number): StoredMessage[] | undefined {
    const window = this.#windows.get(conversationId);
    if (!window) return undefined;
    if (window.lastSeq !== lastSeq) {
      this.drop(conversationId);
      return undefined;
    }
    const { messages } = window;
    if (messages.length < limit && !window.complete) return undefined;
    this.#windows.delete(conversationId);
    this.#windows.set(conversationId, window);
    return messages.length <= limit ? messages.slice() : messages.slice(messages.length - limit);
  }

  /** Keeps the newest messages read for `limit` (oldest first): all there are when fewer came back. */
  fill(conversationId: string, messages: StoredMessage[], limit: number): void {
    this.drop(conversationId);
    if (limit > this.#keep) this.#keep = Math.min(limit, MAX_WINDOW);
    const lastSeq = messages.at(-1)?.seq ?? 0;
    this.#set(conversationId, {
      lastSeq,
      messages: messages.slice(),
      complete: messages.length < limit,
      chars: 0,
    });
  }

  /** A new conversation's first message, committed: the whole conversation. */
  started(message: StoredMessage): void {
    this.drop(message.conversationId);
    this.#set(message.conversationId, {
      lastSeq: message.seq,
      messages: [message],
      complete: true,
      chars: 0,
    });
  }

  /**
   * A message this process appended, committed. It extends a window read just before it; a window
   * already past it stays; one further behind (another process appended between) is dropped.
   */
  appended(message: StoredMessage): void {
    const window = this.#windows.get(message.conversationId);
    if (!window || window.lastSeq >= message.seq) return;
    if (window.lastSeq !== message.seq - 1) {
      this.drop(message.conversationId);
      return;
    }
    this.#windows.delete(message.conversationId);
    this.#windows.set(message.conversationId, window);
    window.messages.push(message);
    window.lastSeq = message.seq;
    this.#count(window, sizeOf(message));
    while (window.messages.length > this.#keep) {
      this.#count(window, -sizeOf(window.messages.shift() as StoredMessage));
      window.complete = false;
    }
    this.#evict();
  }

  drop(conversationId: string): void {
    const window = this.#windows.get(conversationId);
    if (!window) return;
    this.#chars -= window.chars;
    this.#windows.delete(conversationId);
  }

  get size(): { conversations: number; chars: number } {
    return { conversations: this.#windows.size, chars: this.#chars };
  }

  #set(conversationId: string, window: Window): void {
    const chars = window.messages.reduce((sum, m) => sum + sizeOf(m), 0);
    // A window this large (long documents) would push out many others: read from SQLite each time.
    if (chars > this.#maxChars / LARGEST_SHARE) return;
    this.#count(window, chars);
    this.#windows.set(conversationId, window);
    this.#evict();
  }

  #count(window: Window, chars: number): void {
    window.chars += chars;
    this.#chars += chars;
  }

  /** Least recently used first (a window grown past the whole budget by appends goes too). */
  #evict(): void {
    while (this.#windows.size > this.#maxConversations || this.#chars > this.#maxChars) {
      const oldest = this.#windows.keys().next();
      if (oldest.done) return;
      this.drop(oldest.value);
    }
  }
}

/** A message's size for the bound: its text, its tool calls' and files' text, and its objects. */
function sizeOf(message: StoredMessage): number {
  let chars = MESSAGE_OVERHEAD + message.content.length;
  for (const call of message.toolCalls) chars += call.arguments.length + call.result.length;
  for (const file of message.attachments ?? [])
    chars += (file.text?.length ?? 0) + (file.transcript?.length ?? 0);
  return chars;
}
