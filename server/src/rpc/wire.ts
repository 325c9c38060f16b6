import {
  type Attachment,
  AttachmentKind,
  type Conversation,
  type Message,
  Role,
  Timestamp,
  type ToolCall,
  type Usage,
} from '@parley/rpc';
import type { LlmUsage } from '../assistant/llm.ts';
import type {
  AttachmentMeta,
  ConversationCursor,
  ConversationRecord,
  MessageRole,
  StoredMessage,
} from '../conversations/conversation-store.ts';
import { ValidationError } from '../errors/app-error.ts';

// Mapping between the server's records and the protobuf messages on the wire.

const ROLES: Record<MessageRole, Role> = {
  user: Role.USER,
  assistant: Role.ASSISTANT,
  system: Role.SYSTEM,
  tool: Role.TOOL,
};

export function toWireConversation(c: ConversationRecord): Conversation {
  return {
    id: c.id,
    title: c.title,
    createdAt: Timestamp.fromDate(c.createdAt),
    updatedAt: Timestamp.fromDate(c.updatedAt),
    messageCount: c.messageCount,
    platform: c.platform,
    chatId: c.chatId,
    model: c.model,
  };
}

export function toWireMessage(m: StoredMessage): Message {
  const toolCalls: ToolCall[] = m.toolCalls.map((t) => ({ ...t }));
  return {
    id: m.id,
    role: ROLES[m.role],
    content: m.content,
    createdAt: Timestamp.fromDate(m.createdAt),
    toolCalls,
    ...(m.interrupted ? { interrupted: true } : {}),
    attachments: (m.attachments ?? []).map(toWireAttachment),
  };
}

const KINDS: Record<AttachmentMeta['kind'], AttachmentKind> = {
  image: AttachmentKind.IMAGE,
  audio: AttachmentKind.AUDIO,
  document: AttachmentKind.DOCUMENT,
};

/** An attachment's metadata for clients: never its extracted document text (the client has the file). */
export function toWireAttachment(a: AttachmentMeta): Attachment {
  return {
    id: a.id,
    kind: KINDS[a.kind],
    mediaType: a.mediaType,
    name: a.name,
    sizeBytes: String(a.sizeBytes),
    transcript: a.transcript ?? '',
    truncated: a.truncated ?? false,
  };
}

export function toWireUsage(u: LlmUsage): Usage {
  return { promptTokens: u.promptTokens, completionTokens: u.completionTokens, totalTokens: u.totalTokens };
}

// Page tokens are opaque to clients: base64url JSON of the last item's position.

export function encodeConversationCursor(c: ConversationRecord): string {
  return Buffer.from(JSON.stringify({ u: c.updatedAt.getTime(), i: c.id })).toString('base64url');
}

export function decodeConversationCursor(token: string): ConversationCursor | undefined {
  if (!token) return undefined;
  const value = parseToken(token);
  if (typeof value?.u !== 'number' || typeof value.i !== 'string') throw badToken();
  return { updatedAt: new Date(value.u), id: value.i };
}

export function encodeMessageCursor(seq: number): string {
  return Buffer.from(JSON.stringify({ s: seq })).toString('base64url');
}

export function decodeMessageCursor(token: string): number {
  if (!token) return 0;
  const value = parseToken(token);
  if (!Number.isSafeInteger(value?.s) || (value?.s as number) < 0) throw badToken();
  return value?.s as number;
}

function parseToken(token: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  } catch {
    throw badToken();
  }
}

function badToken(): ValidationError {
  return new ValidationError('page_token', 'is not a token this server issued');
}
