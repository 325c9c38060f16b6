import type { AttachmentKind, PreparedAttachment } from '../attachments/attachment-types.ts';
import type { ActingIdentity } from '../people/identity.ts';
import type { ToolCallRecord } from '../tools/tool-runner.ts';

/**
 * Who owns a conversation: the authenticated client and the user it vouches for. A caller's owner may
 * carry `linked` (every identity of its person, see people/): it then reaches their conversations too,
 * through LinkedConversationStore. A stored conversation's owner is the identity that started it.
 */
export type Owner = ActingIdentity;

export type MessageRole = 'user' | 'assistant' | 'system' | 'tool';

export interface ConversationRecord {
  id: string;
  owner: Owner;
  title: string;
  /** Platform and chat it was started from ('' when none). */
  platform: string;
  chatId: string;
  createdAt: Date;
  updatedAt: Date;
  messageCount: number;
  /** Per-conversation overrides of the server's defaults ('' = use the default). */
  systemPrompt: string;
  model: string;
  /** Running summary of the messages up to and including `summarizedThroughSeq` (0 = none). */
  summary: string;
  summarizedThroughSeq: number;
}

export type { AttachmentKind };

/** What a stored attachment is; its bytes are read on their own ({@link ConversationStore.attachment}). */
export interface AttachmentMeta {
  id: string;
  kind: AttachmentKind;
  /** Sniffed from the bytes, never taken from the sender. */
  mediaType: string;
  /** The sender's file name ('' when none). */
  name: string;
  sizeBytes: number;
  /** Audio: what was heard. */
  transcript?: string;
  /** Documents: the text the model reads (already cut to the limit). Never sent to clients. */
  text?: string;
  /** Documents: the text was cut to fit the prompt. */
  truncated?: boolean;
}

/** An attachment to store with its message: metadata (the store assigns the id and size) and bytes. */
export type NewAttachment = PreparedAttachment;

/** An attachment read back with its bytes, for its owner. */
export interface StoredAttachment {
  meta: AttachmentMeta;
  conversationId: string;
  data: Buffer;
}

export interface NewMessage {
  role: MessageRole;
  content: string;
  toolCalls?: ToolCallRecord[];
  /** An assistant reply cut short (the client went away, or the model failed mid-answer). */
  interrupted?: boolean;
  /** Files sent with a user message: stored with it, all or nothing. */
  attachments?: NewAttachment[];
}

export interface StoredMessage extends Required<Omit<NewMessage, 'interrupted' | 'attachments'>> {
  /** Present (true) only on interrupted replies. */
  interrupted?: true;
  /** Present (non-empty) only on messages sent with files. */
  attachments?: AttachmentMeta[];
  id: string;
  conversationId: string;
  /** Position in the conversation, 1-based, strictly increasing. */
  seq: number;
  createdAt: Date;
}

export interface NewConversation {
  owner: Owner;
  title: string;
  platform: string;
  chatId: string;
  systemPrompt?: string;
  model?: string;
}

/** A conversation created with its first message, as stored. */
export interface NewConversationWithMessage {
  conversation: ConversationRecord;
  message: StoredMessage;
}

/** Opaque position for listing conversations newest first. */
export interface ConversationCursor {
  updatedAt: Date;
  id: string;
}

/**
 * Durable conversations and their messages. Appending is O(1) and reading recent messages is
 * O(limit) whatever the history length. Every read that a client can reach is scoped by owner.
 */
export interface ConversationStore {
  create(input: NewConversation): Promise<ConversationRecord>;
  /**
   * A new conversation with its first message (a turn that starts one): as `create` then `append`, in one
   * transaction where the store has them (SQLite: one commit instead of two, and never one without the
   * other); MongoDB writes them one after the other, as the two calls would.
   */
  createWithMessage(input: NewConversation, message: NewMessage): Promise<NewConversationWithMessage>;
  /** The conversation if it exists and belongs to `owner`, else null. */
  get(id: string, owner: Owner): Promise<ConversationRecord | null>;
  /**
   * Appends a message, bumps `messageCount` and `updatedAt`. Its attachments are stored with it: a
   * message is never visible without them, and a failed append leaves none behind.
   */
  append(conversationId: string, message: NewMessage): Promise<StoredMessage>;
  /** The newest `limit` messages, returned oldest first. */
  recentMessages(conversationId: string, limit: number): Promise<StoredMessage[]>;
  /** Messages with `seq > afterSeq`, oldest first, at most `limit`. */
  messages(conversationId: string, options: { afterSeq: number; limit: number }): Promise<StoredMessage[]>;
  /** The owner's conversations, most recently updated first, strictly after `cursor`. */
  list(owner: Owner, options: { limit: number; after?: ConversationCursor }): Promise<ConversationRecord[]>;
  /** The owner's most recently updated conversation for a chat, updated at or after `since`. */
  latestForChat(
    owner: Owner,
    platform: string,
    chatId: string,
    since: Date,
  ): Promise<ConversationRecord | null>;
  /** Renames a conversation (does not move it in listings); not_found when it does not exist. */
  setTitle(id: string, title: string): Promise<void>;
  /** Stores the running summary of the messages through `throughSeq`; not_found when missing. */
  setSummary(id: string, summary: string, throughSeq: number): Promise<void>;
  /**
   * The owner's most recently updated conversation whose transcript fingerprint is `hash` (see
   * `transcript.ts`), or null. Answered from an index on (owner, fingerprint): one lookup, whatever the
   * number or length of the owner's conversations. An empty `hash` matches nothing.
   */
  findByTranscript(owner: Owner, hash: string): Promise<ConversationRecord | null>;
  /**
   * Moves the conversation's transcript fingerprint from `from` to `to` only when it is still `from`
   * (a compare-and-set, atomic in the store): false when it had moved on or the conversation is gone.
   * A new conversation's fingerprint is ''.
   */
  advanceTranscript(id: string, from: string, to: string): Promise<boolean>;
  /** An attachment with its bytes, when its conversation belongs to `owner`; else null. */
  attachment(id: string, owner: Owner): Promise<StoredAttachment | null>;
  /** Deletes the conversation, its messages and their attachments; false when not the owner's. */
  delete(id: string, owner: Owner): Promise<boolean>;
  /** Cheap connectivity check for readiness. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** The fields a store keeps of a tool call (a copy: never the caller's object). */
export function copyToolCall({ id, name, arguments: args, result, isError }: ToolCallRecord): ToolCallRecord {
  return { id, name, arguments: args, result, isError };
}

/** The metadata a store keeps for a new attachment under the id it assigned (fields copied, bytes not). */
export function attachmentMeta(id: string, attachment: NewAttachment): AttachmentMeta {
  const { kind, mediaType, name, transcript, text, truncated } = attachment;
  return {
    id,
    kind,
    mediaType,
    name,
    sizeBytes: attachment.data.byteLength,
    ...(transcript !== undefined ? { transcript } : {}),
    ...(text !== undefined ? { text } : {}),
    ...(truncated ? { truncated: true } : {}),
  };
}
