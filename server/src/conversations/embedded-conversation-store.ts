import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import { NotFoundError } from '../errors/app-error.ts';
import { type NonBlockingWrite, nonBlockingWriter } from '../sqlite/non-blocking-writer.ts';
import { openSqlite } from '../sqlite/sqlite-database.ts';
import {
  attachmentMeta,
  type ConversationCursor,
  type ConversationRecord,
  type ConversationStore,
  copyToolCall,
  type NewConversation,
  type NewConversationWithMessage,
  type NewMessage,
  type Owner,
  type StoredAttachment,
  type StoredMessage,
} from './conversation-store.ts';
import { toAttachment, toConversation, toMessage } from './embedded-conversation-rows.ts';
import { MIGRATIONS, prepareStatements, type Statements } from './embedded-conversation-sql.ts';
import { RecentWindows, type RecentWindowsOptions } from './recent-windows.ts';

export interface EmbeddedConversationStoreOptions {
  /** SQLite file path, or ':memory:'. */
  path: string;
  clock?: () => Date;
  /** Bounds of the newest messages kept per conversation (recent-windows.ts). */
  windows?: RecentWindowsOptions;
}

/**
 * ConversationStore on an embedded SQLite file, for a single machine with nothing else installed.
 * better-sqlite3 is synchronous, so every method runs to completion before another starts in this
 * process; `append` and `delete` are `BEGIN IMMEDIATE` transactions, so other processes sharing the file
 * (WORKERS > 1) wait for them too, and a crash leaves all or nothing. Each busy conversation's newest
 * messages are kept in memory (recent-windows.ts), checked against its `last_seq` on every read.
 */
export class EmbeddedConversationStore implements ConversationStore {
  readonly #db: Database.Database;
  readonly #clock: () => Date;
  readonly #stmt: Statements;
  readonly #appendTx: (conversationId: string, message: NewMessage) => StoredMessage;
  readonly #createWithMessageTx: (input: NewConversation, message: NewMessage) => NewConversationWithMessage;
  readonly #deleteTx: (id: string, owner: Owner) => boolean;
  /** Writes wait for another process's write lock on the event loop, not asleep in SQLite. */
  readonly #write: NonBlockingWrite;
  /** Each busy conversation's newest messages, used while its `last_seq` has not moved. */
  readonly #windows: RecentWindows;

  constructor(options: EmbeddedConversationStoreOptions) {
    this.#clock = options.clock ?? (() => new Date());
    this.#db = openSqlite({ path: options.path, migrations: MIGRATIONS, name: 'conversation database' });
    this.#stmt = prepareStatements(this.#db);
    this.#write = nonBlockingWriter(this.#db, { name: 'conversation database' });
    this.#windows = new RecentWindows(options.windows);
    this.#appendTx = this.#db.transaction((conversationId: string, message: NewMessage) =>
      this.#appendNow(conversationId, message),
    ).immediate;
    // A turn that starts a conversation commits once (the commit is most of a write's CPU: the WAL pages),
    // the conversation row written with its first message counted (no second write of it).
    this.#createWithMessageTx = this.#db.transaction((input: NewConversation, message: NewMessage) => {
      const now = this.#clock().getTime();
      const conversation = this.#insert(input, now, 1);
      const stored = this.#storeMessage(conversation.id, 1, message, now);
      return { conversation, message: stored };
    }).immediate;
    this.#deleteTx = this.#db.transaction((id: string, owner: Owner) => {
      if (this.#stmt.deleteConversation.run(id, owner.clientId, owner.userId).changes === 0) return false;
      this.#stmt.deleteMessages.run(id);
      this.#stmt.deleteAttachments.run(id);
      return true;
    }).immediate;
  }

  create(input: NewConversation): Promise<ConversationRecord> {
    return this.#write(() => this.#insert(input, this.#clock().getTime()));
  }

  createWithMessage(input: NewConversation, message: NewMessage): Promise<NewConversationWithMessage> {
    return this.#write(() => this.#createWithMessageTx(input, message)).then((created) => {
      this.#windows.started(created.message);
      return created;
    });
  }

  /** A new conversation row; `messages` (0, or 1 with its first message) are stored by the caller. */
  #insert(input: NewConversation, now: number, messages = 0): ConversationRecord {
    const id = randomUUID();
    const { owner, title, platform, chatId, systemPrompt = '', model = '' } = input;
    this.#stmt.insertConversation.run(
      id,
      owner.clientId,
      owner.userId,
      title,
      platform,
      chatId,
      now,
      now,
      messages,
      systemPrompt,
      model,
      messages,
    );
    return {
      id,
      owner: { clientId: owner.clientId, userId: owner.userId },
      title,
      platform,
      chatId,
      createdAt: new Date(now),
      updatedAt: new Date(now),
      messageCount: messages,
      systemPrompt,
      model,
      summary: '',
      summarizedThroughSeq: 0,
    };
  }

  async get(id: string, owner: Owner): Promise<ConversationRecord | null> {
    const row = this.#stmt.getConversation.get(id, owner.clientId, owner.userId);
    return row ? toConversation(row) : null;
  }

  append(conversationId: string, message: NewMessage): Promise<StoredMessage> {
    // The window follows only once the message is committed (a failed append changes nothing).
    return this.#write(() => this.#appendTx(conversationId, message)).then((stored) => {
      this.#windows.appended(stored);
      return stored;
    });
  }

  /**
   * A turn's window: from memory while the conversation's `last_seq` (one primary-key read, so other
   * processes' appends and deletes are seen) is the one it was kept at, else from SQLite (≈ 58 µs for
   * 60 messages in the unary bench).
   */
  async recentMessages(conversationId: string, limit: number): Promise<StoredMessage[]> {
    const n = toLimit(limit);
    if (n === 0) return [];
    const windows = this.#windows;
    if (!windows.keeps(n)) return this.#readRecent(conversationId, n);
    const lastSeq = this.#stmt.lastSeq.get(conversationId);
    if (lastSeq === undefined || lastSeq === 0) {
      windows.drop(conversationId);
      return [];
    }
    const kept = windows.read(conversationId, lastSeq, n);
    if (kept) return kept;
    // Kept at the newest message read, which another process may have appended since `lastSeq`.
    const messages = this.#readRecent(conversationId, n);
    windows.fill(conversationId, messages, n);
    return messages;
  }

  #readRecent(conversationId: string, n: number): StoredMessage[] {
    const rows = this.#stmt.recentMessages.all(conversationId, n).reverse();
    return rows.map((row) => toMessage(conversationId, row));
  }

  async messages(
    conversationId: string,
    options: { afterSeq: number; limit: number },
  ): Promise<StoredMessage[]> {
    const n = toLimit(options.limit);
    if (n === 0) return [];
    return this.#stmt.messagesAfter
      .all(conversationId, options.afterSeq, n)
      .map((row) => toMessage(conversationId, row));
  }

  async list(
    owner: Owner,
    options: { limit: number; after?: ConversationCursor },
  ): Promise<ConversationRecord[]> {
    const n = toLimit(options.limit);
    if (n === 0) return [];
    const { after } = options;
    const rows = after
      ? this.#stmt.listAfter.all(owner.clientId, owner.userId, after.updatedAt.getTime(), after.id, n)
      : this.#stmt.list.all(owner.clientId, owner.userId, n);
    return rows.map(toConversation);
  }

  async latestForChat(
    owner: Owner,
    platform: string,
    chatId: string,
    since: Date,
  ): Promise<ConversationRecord | null> {
    const row = this.#stmt.latestForChat.get(owner.clientId, owner.userId, platform, chatId, since.getTime());
    return row ? toConversation(row) : null;
  }

  async findByTranscript(owner: Owner, hash: string): Promise<ConversationRecord | null> {
    if (!hash) return null;
    const row = this.#stmt.findByTranscript.get(owner.clientId, owner.userId, hash);
    return row ? toConversation(row) : null;
  }

  advanceTranscript(id: string, from: string, to: string): Promise<boolean> {
    return this.#write(() => this.#stmt.advanceTranscript.run(to, id, from).changes > 0);
  }

  async setTitle(id: string, title: string): Promise<void> {
    const { changes } = await this.#write(() => this.#stmt.setTitle.run(title, id));
    if (changes === 0) throw new NotFoundError('conversation');
  }

  async setSummary(id: string, summary: string, throughSeq: number): Promise<void> {
    const { changes } = await this.#write(() => this.#stmt.setSummary.run(summary, throughSeq, id));
    if (changes === 0) throw new NotFoundError('conversation');
  }

  async attachment(id: string, owner: Owner): Promise<StoredAttachment | null> {
    const row = this.#stmt.getAttachment.get(id, owner.clientId, owner.userId);
    return row ? toAttachment(row) : null;
  }

  delete(id: string, owner: Owner): Promise<boolean> {
    return this.#write(() => this.#deleteTx(id, owner)).then((deleted) => {
      this.#windows.drop(id);
      return deleted;
    });
  }

  async ping(): Promise<void> {
    this.#stmt.ping.get();
  }

  async close(): Promise<void> {
    this.#db.close();
  }

  /** Runs inside a write transaction. */
  #appendNow(conversationId: string, message: NewMessage, now = this.#clock().getTime()): StoredMessage {
    const bumped = this.#stmt.bumpConversation.get(now, conversationId);
    if (!bumped) throw new NotFoundError('conversation');
    return this.#storeMessage(conversationId, bumped.last_seq, message, now);
  }

  /** Runs inside a write transaction that gave the message its `seq`. */
  #storeMessage(conversationId: string, seq: number, message: NewMessage, now: number): StoredMessage {
    const stored: StoredMessage = {
      id: randomUUID(),
      conversationId,
      seq,
      role: message.role,
      content: message.content,
      toolCalls: (message.toolCalls ?? []).map(copyToolCall),
      createdAt: new Date(now),
      ...(message.interrupted ? { interrupted: true as const } : {}),
    };
    // Inside the transaction: the message and its files are stored together or not at all.
    const attachments = (message.attachments ?? []).map((attachment) => {
      const meta = attachmentMeta(randomUUID(), attachment);
      this.#stmt.insertAttachment.run(meta.id, conversationId, JSON.stringify(meta), attachment.data);
      return meta;
    });
    if (attachments.length > 0) stored.attachments = attachments;
    this.#stmt.insertMessage.run(
      conversationId,
      stored.seq,
      stored.id,
      stored.role,
      stored.content,
      JSON.stringify(stored.toolCalls),
      now,
      message.interrupted ? 1 : 0,
      JSON.stringify(attachments),
    );
    return stored;
  }
}

/** SQLite reads a negative LIMIT as "no limit"; a caller asking for none gets none. */
function toLimit(limit: number): number {
  return Number.isFinite(limit) && limit > 0 ? Math.floor(limit) : 0;
}
