/**
 * Which conversation each chat is in, as last seen in a server response. The server owns the truth (the
 * session); this is only a hint so /delete and /history can name "the current one" without another
 * lookup. Bounded: the least recently used chats are forgotten first, and a forgotten chat falls back to
 * its most recent conversation.
 */
export class CurrentConversations {
  readonly #byChat = new Map<string, string>();
  readonly #capacity: number;

  constructor(capacity = 10_000) {
    this.#capacity = capacity;
  }

  get(chat: string): string | undefined {
    return this.#byChat.get(chat);
  }

  set(chat: string, conversationId: string): void {
    this.#byChat.delete(chat);
    this.#byChat.set(chat, conversationId);
    if (this.#byChat.size > this.#capacity) {
      const oldest = this.#byChat.keys().next();
      if (!oldest.done) this.#byChat.delete(oldest.value);
    }
  }

  /** Forgets the chat's hint if it points at `conversationId` (just deleted). */
  forget(chat: string, conversationId: string): void {
    if (this.#byChat.get(chat) === conversationId) this.#byChat.delete(chat);
  }
}
