import type { ToolCallRecord } from '../tools/tool-runner.ts';

/** Who owns a conversation: the authenticated client and the user it vouches for. */
export interface Owner {
  clientId: string;
  userId: string;
}

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

export interface NewMessage {
  role: MessageRole;
  content: string;
  toolCalls?: ToolCallRecord[];
  /** An assistant reply cut short (the client went away, or the model failed mid-answer). */
  interrupted?: boolean;
}

export interface StoredMessage extends Required<Omit<NewMessage, 'interrupted'>> {
  /** Present (true) only on interrupted replies. */
  interrupted?: true;
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
  /** The conversation if it exists and belongs to `owner`, else null. */
  get(id: string, owner: Owner): Promise<ConversationRecord | null>;
  /** Appends a message, bumps `messageCount` and `updatedAt`. */
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
  /** Deletes the conversation and its messages; false when it does not exist for this owner. */
  delete(id: string, owner: Owner): Promise<boolean>;
  /** Cheap connectivity check for readiness. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
