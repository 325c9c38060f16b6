import type { Chat } from 'telegraf/types';
import { RecentIds } from '../telegram/recent-ids.ts';

/** Chats remembered as refusing drafts; the oldest are forgotten (and tried again) beyond this. */
const REMEMBERED_CHATS = 10_000;

/**
 * Which chats get streamed replies as drafts (`sendMessageDraft`). Telegram offers drafts in private chats
 * only, and a chat may still refuse them (an older Bot API server, a client that turned them off): such a
 * chat is remembered, so its next replies go straight to an edited placeholder.
 */
export class DraftChats {
  readonly #refused = new RecentIds(REMEMBERED_CHATS);

  allows(chat: Chat): boolean {
    return chat.type === 'private' && !this.#refused.has(chat.id);
  }

  refuse(chatId: number): void {
    this.#refused.add(chatId);
  }
}
