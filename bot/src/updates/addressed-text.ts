import type { Chat, Message, MessageEntity, UserFromGetMe } from 'telegraf/types';
import { isGroupChat } from './session-metadata.ts';

/**
 * The text to send to the assistant, or undefined when the message is not for the bot. In private chats
 * every message with text is; in groups only a message that mentions the bot (the mention is cut out) or
 * replies to one of its messages. A photo's or document's caption is its text.
 */
export function addressedText(message: Message, chat: Chat, bot: UserFromGetMe): string | undefined {
  const content = textOf(message);
  if (!content) return undefined;
  if (!isGroupChat(chat)) return content.text;
  const mentions = content.entities.filter((entity) => mentionsBot(content.text, entity, bot));
  const isReply = 'reply_to_message' in message && message.reply_to_message?.from?.id === bot.id;
  if (mentions.length === 0 && !isReply) return undefined;
  let text = content.text;
  // Cut from the end so earlier offsets stay valid.
  for (const entity of [...mentions].sort((a, b) => b.offset - a.offset)) {
    text = text.slice(0, entity.offset) + text.slice(entity.offset + entity.length);
  }
  return text.replace(/\s{2,}/g, ' ').trim();
}

/** A message's text and its entities: the text itself, or a caption (photos, documents). */
function textOf(message: Message): { text: string; entities: MessageEntity[] } | undefined {
  if ('text' in message) return { text: message.text, entities: message.entities ?? [] };
  if ('caption' in message && message.caption !== undefined) {
    return { text: message.caption, entities: message.caption_entities ?? [] };
  }
  return undefined;
}

function mentionsBot(text: string, entity: MessageEntity, bot: UserFromGetMe): boolean {
  if (entity.type === 'text_mention') return entity.user.id === bot.id;
  if (entity.type !== 'mention') return false;
  const mention = text.slice(entity.offset, entity.offset + entity.length);
  return mention.toLowerCase() === `@${bot.username.toLowerCase()}`;
}
