import type { SessionMetadata } from '@parley/rpc';
import type { Chat, User } from 'telegraf/types';

export const PLATFORM = 'telegram';

export function isGroupChat(chat: Chat): boolean {
  return chat.type === 'group' || chat.type === 'supergroup';
}

/**
 * The `SessionMetadata` the server sees for a chat (Parley's session, not telegraf's). In a private chat
 * the Telegram user owns the conversation. A group chat has one owner, `group:<chat_id>`, shared by all
 * its members: the server owns conversations by (client, user_id) and keeps one current conversation per
 * chat, so with per-member user ids each member would get "not found" for the conversation another
 * member started, and /history, /new and /delete would act on a different set of conversations
 * depending on who typed them.
 */
export function sessionMetadataFor(chat: Chat, from: User | undefined): SessionMetadata {
  const chatId = String(chat.id);
  const userId = isGroupChat(chat) || !from ? `group:${chatId}` : String(from.id);
  // The sender's app language: a hint for the model (a language the person chose wins on the server).
  const language = from?.language_code;
  return { platform: PLATFORM, userId, chatId, ...(language ? { language } : {}) };
}
