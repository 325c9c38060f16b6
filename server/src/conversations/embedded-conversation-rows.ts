import type { ToolCallRecord } from '../tools/tool-runner.ts';
import type {
  AttachmentMeta,
  ConversationRecord,
  MessageRole,
  StoredAttachment,
  StoredMessage,
} from './conversation-store.ts';
import type { AttachmentRow, ConversationRow, MessageRow } from './embedded-conversation-sql.ts';

// Rows of the embedded store's tables as the store's records, and back.

export function toConversation(row: ConversationRow): ConversationRecord {
  return {
    id: row.id,
    owner: { clientId: row.client_id, userId: row.user_id },
    title: row.title,
    platform: row.platform,
    chatId: row.chat_id,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
    messageCount: row.message_count,
    systemPrompt: row.system_prompt,
    model: row.model,
    summary: row.summary,
    summarizedThroughSeq: row.summarized_through,
  };
}

export function toMessage(conversationId: string, row: MessageRow): StoredMessage {
  const message: StoredMessage = {
    id: row.id,
    conversationId,
    seq: row.seq,
    role: row.role as MessageRole,
    content: row.content,
    // Most messages have no tool calls; skip parsing the common empty list.
    toolCalls: row.tool_calls === '[]' ? [] : (JSON.parse(row.tool_calls) as ToolCallRecord[]),
    createdAt: new Date(row.created_at),
  };
  // Set only when present (no object spreads: this runs for every message of a turn's window).
  if (row.interrupted) message.interrupted = true;
  if (row.attachments !== '[]') message.attachments = JSON.parse(row.attachments) as AttachmentMeta[];
  return message;
}

export function toAttachment(row: AttachmentRow): StoredAttachment {
  return {
    meta: JSON.parse(row.meta) as AttachmentMeta,
    conversationId: row.conversation_id,
    data: row.data,
  };
}
