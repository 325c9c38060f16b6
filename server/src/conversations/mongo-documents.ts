import { ObjectId } from 'mongodb';
import { type ConversationRecord, copyToolCall, type StoredMessage } from './conversation-store.ts';

/** Owner fields flattened for the indexes; `lastSeq` is the newest message's seq, bumped atomically. */
export type ConversationDoc = Omit<ConversationRecord, 'id' | 'owner'> & {
  _id: ObjectId;
  clientId: string;
  userId: string;
  lastSeq: number;
  /** The fingerprint of the transcript an OpenAI-compatible client holds (absent or '' = none). */
  transcriptHash?: string;
};

/** One document per message: a conversation never grows a document towards MongoDB's 16 MB cap. */
export type MessageDoc = Omit<StoredMessage, 'id' | 'conversationId'> & {
  _id: ObjectId;
  conversationId: ObjectId;
};

/** Ids are ObjectIds inside, hex outside; anything that is not 24 hex digits names nothing. */
export function toObjectId(id: string): ObjectId | null {
  return /^[0-9a-f]{24}$/i.test(id) ? ObjectId.createFromHexString(id) : null;
}

export function toConversation(doc: ConversationDoc): ConversationRecord {
  return {
    id: doc._id.toHexString(),
    owner: { clientId: doc.clientId, userId: doc.userId },
    title: doc.title,
    platform: doc.platform,
    chatId: doc.chatId,
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
    messageCount: doc.messageCount,
    systemPrompt: doc.systemPrompt,
    model: doc.model,
    summary: doc.summary,
    summarizedThroughSeq: doc.summarizedThroughSeq,
  };
}

export function toMessage(doc: MessageDoc): StoredMessage {
  return {
    id: doc._id.toHexString(),
    conversationId: doc.conversationId.toHexString(),
    seq: doc.seq,
    role: doc.role,
    content: doc.content,
    toolCalls: doc.toolCalls.map(copyToolCall),
    createdAt: doc.createdAt,
    ...(doc.interrupted ? { interrupted: true as const } : {}),
    ...(doc.attachments?.length ? { attachments: doc.attachments } : {}),
  };
}
