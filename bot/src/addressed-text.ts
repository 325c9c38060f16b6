import type { Chat, Message, MessageEntity, UserFromGetMe } from 'telegraf/types';
import { isGroupChat } from './session-metadata.ts';

/**
 * The text to send to the assistant, or undefined when the message is not for the bot. In private chats
 * every message is; in groups only a message that mentions the bot (the mention is cut out) or replies to
 * one of its messages.
 */
export function addressedText(
  message: Message.TextMessage,
  chat: Chat,
  bot: UserFromGetMe,
): string | undefined {
  if (!isGroupChat(chat)) return message.text;
  const mentions = (message.entities ?? []).filter((entity) => mentionsBot(message.text, entity, bot));
  const isReply = message.reply_to_message?.from?.id === bot.id;
  if (mentions.length === 0 && !isReply) return undefined;
  let text = message.text;
  // Cut from the end so earlier offsets stay valid.
  for (const entity of [...mentions].sort((a, b) => b.offset - a.offset)) {
    text = text.slice(0, entity.offset) + text.slice(entity.offset + entity.length);
  }
  return text.replace(/\s{2,}/g, ' ').trim();
}

function mentionsBot(text: string, entity: MessageEntity, bot: UserFromGetMe): boolean {
  if (entity.type === 'text_mention') return entity.user.id === bot.id;
  if (entity.type !== 'mention') return false;
  const mention = text.slice(entity.offset, entity.offset + entity.length);
  return mention.toLowerCase() === `@${bot.username.toLowerCase()}`;
}
