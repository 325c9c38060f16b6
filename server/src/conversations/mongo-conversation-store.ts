import { type Collection, type Db, type Filter, type MongoClient, ObjectId } from 'mongodb';
import { NotFoundError } from '../errors/app-error.ts';
import {
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
import { MongoAttachments } from './mongo-attachments.ts';
import { guard, type MongoConnectOptions, newMongoClient, unavailable } from './mongo-connection.ts';
import {
  type ConversationDoc,
  type MessageDoc,
  toConversation,
  toMessage,
  toObjectId,
} from './mongo-documents.ts';
import { afterCursor, ownerFilter, toLimit } from './mongo-queries.ts';

export interface MongoConversationStoreDeps {
  db: Db;
  clock?: () => Date;
  /** Closed by `close()` when given: the store owns it (as after `connect`). */
  client?: MongoClient;
}

/**
 * ConversationStore on MongoDB through the official driver. Correctness rests only on single-document
 * atomicity (no transactions, no unique-index enforcement): `append` takes its seq with one atomic
 * findOneAndUpdate, so appends from many replicas at once number their messages without gaps or clashes.
 */
export class MongoConversationStore implements ConversationStore {
  readonly #db: Db;
  readonly #conversations: Collection<ConversationDoc>;
  readonly #messages: Collection<MessageDoc>;
  readonly #clock: () => Date;
  readonly #client: MongoClient | undefined;
  readonly #attachments: MongoAttachments;

  constructor(deps: MongoConversationStoreDeps) {
    this.#db = deps.db;
    this.#conversations = deps.db.collection<ConversationDoc>('conversations');
    this.#messages = deps.db.collection<MessageDoc>('messages');
    this.#clock = deps.clock ?? (() => new Date());
    this.#client = deps.client;
    this.#attachments = new MongoAttachments(deps.db, guard);
  }

  /** Connects (failing after `serverSelectionTimeoutMS` when unreachable) and ensures the indexes. */
  static async connect(options: MongoConnectOptions): Promise<MongoConversationStore> {
    const { client, dbName } = newMongoClient(options);
    try {
      await client.connect();
      const store = new MongoConversationStore({ db: client.db(dbName), client });
      await store.ensureIndexes();
      options.logger.info({ dbName }, 'connected to MongoDB');
      return store;
    } catch (err) {
      await client.close().catch(() => {});
      throw unavailable(err);
    }
  }

  /** Idempotent; run at start. Every query below is answered from one of these indexes. */
  async ensureIndexes(): Promise<void> {
    await guard(
      Promise.all([
        this.#messages.createIndexes([{ key: { conversationId: 1, seq: 1 }, unique: true }]),
        this.#conversations.createIndexes([
          { key: { clientId: 1, userId: 1, updatedAt: -1, _id: -1 } },
          { key: { clientId: 1, userId: 1, platform: 1, chatId: 1, updatedAt: -1 } },
          // Sparse: only conversations of OpenAI-compatible clients carry a fingerprint.
          { key: { clientId: 1, userId: 1, transcriptHash: 1, updatedAt: -1 }, sparse: true },
        ]),
        this.#attachments.ensureIndexes(),
      ]),
    );
  }

  async create(input: NewConversation): Promise<ConversationRecord> {
    const now = this.#clock();
    const { owner, title, platform, chatId, systemPrompt = '', model = '' } = input;
    const doc: ConversationDoc = {
      _id: new ObjectId(),
      clientId: owner.clientId,
      userId: owner.userId,
      title,
      platform,
      chatId,
      createdAt: now,
      updatedAt: now,
      messageCount: 0,
      lastSeq: 0,
      systemPrompt,
      model,
      summary: '',
      summarizedThroughSeq: 0,
    };
    await guard(this.#conversations.insertOne(doc));
    return toConversation(doc);
  }

  async createWithMessage(input: NewConversation, message: NewMessage): Promise<NewConversationWithMessage> {
    const conversation = await this.create(input);
    const stored = await this.append(conversation.id, message);
    // As append's $max left it.
    const updatedAt = new Date(Math.max(conversation.updatedAt.getTime(), stored.createdAt.getTime()));
    return { conversation: { ...conversation, messageCount: 1, updatedAt }, message: stored };
  }

  async get(id: string, owner: Owner): Promise<ConversationRecord | null> {
    const _id = toObjectId(id);
    if (!_id) return null;
    const doc = await guard(this.#conversations.findOne({ _id, ...ownerFilter(owner) }));
    return doc ? toConversation(doc) : null;
  }

  async append(conversationId: string, message: NewMessage): Promise<StoredMessage> {
    const _id = toObjectId(conversationId);
    if (!_id) throw new NotFoundError('conversation');
    const now = this.#clock();
    const bumped = await guard(
      this.#conversations.findOneAndUpdate(
        { _id },
        // $max: a replica with a lagging clock never moves updatedAt backwards.
        { $inc: { lastSeq: 1, messageCount: 1 }, $max: { updatedAt: now } },
        { returnDocument: 'after', projection: { lastSeq: 1 } },
      ),
    );
    if (!bumped) throw new NotFoundError('conversation');
    // The files first: the message is the last thing written, so it is never visible without them.
    const attachments = message.attachments?.length
      ? await this.#attachments.insert(_id, message.attachments)
      : [];
    const doc: MessageDoc = {
      _id: new ObjectId(),
      conversationId: _id,
      seq: bumped.lastSeq,
      role: message.role,
      content: message.content,
      toolCalls: (message.toolCalls ?? []).map(copyToolCall),
      createdAt: now,
      // Only on interrupted replies: other documents stay as they were.
      ...(message.interrupted ? { interrupted: true as const } : {}),
      ...(attachments.length > 0 ? { attachments } : {}),
    };
    const attachmentIds = attachments.map((a) => ObjectId.createFromHexString(a.id));
    try {
      await guard(this.#messages.insertOne(doc));
    } catch (err) {
      await this.#attachments.remove(attachmentIds).catch(() => undefined);
      throw err;
    }
    // A delete between the $inc and the insert has already swept the messages: sweep this one too, so
    // no message outlives its conversation. A delete after this check sweeps it itself.
    if (!(await guard(this.#conversations.findOne({ _id }, { projection: { _id: 1 } })))) {
      await guard(this.#messages.deleteOne({ _id: doc._id }));
      await this.#attachments.remove(attachmentIds);
      throw new NotFoundError('conversation');
    }
    return toMessage(doc);
  }

  async recentMessages(conversationId: string, limit: number): Promise<StoredMessage[]> {
    const n = toLimit(limit);
    const _id = toObjectId(conversationId);
    if (n === 0 || !_id) return [];
    const docs = await guard(
      this.#messages.find({ conversationId: _id }).sort({ seq: -1 }).limit(n).toArray(),
    );
    return docs.reverse().map(toMessage);
  }

  async messages(
    conversationId: string,
    options: { afterSeq: number; limit: number },
  ): Promise<StoredMessage[]> {
    const n = toLimit(options.limit);
    const _id = toObjectId(conversationId);
    if (n === 0 || !_id) return [];
    const filter = { conversationId: _id, seq: { $gt: options.afterSeq } };
    const docs = await guard(this.#messages.find(filter).sort({ seq: 1 }).limit(n).toArray());
    return docs.map(toMessage);
  }

  async list(
    owner: Owner,
    options: { limit: number; after?: ConversationCursor },
  ): Promise<ConversationRecord[]> {
    const n = toLimit(options.limit);
    if (n === 0) return [];
    const filter: Filter<ConversationDoc> = ownerFilter(owner);
    if (options.after) filter.$or = afterCursor(options.after);
    const docs = await guard(
      this.#conversations.find(filter).sort({ updatedAt: -1, _id: -1 }).limit(n).toArray(),
    );
    return docs.map(toConversation);
  }

  async latestForChat(
    owner: Owner,
    platform: string,
    chatId: string,
    since: Date,
  ): Promise<ConversationRecord | null> {
    const filter = { ...ownerFilter(owner), platform, chatId, updatedAt: { $gte: since } };
    const doc = await guard(this.#conversations.findOne(filter, { sort: { updatedAt: -1, _id: -1 } }));
    return doc ? toConversation(doc) : null;
  }

  async findByTranscript(owner: Owner, hash: string): Promise<ConversationRecord | null> {
    if (!hash) return null;
    const filter = { ...ownerFilter(owner), transcriptHash: hash };
    const doc = await guard(this.#conversations.findOne(filter, { sort: { updatedAt: -1, _id: -1 } }));
    return doc ? toConversation(doc) : null;
  }

  async advanceTranscript(id: string, from: string, to: string): Promise<boolean> {
    const _id = toObjectId(id);
    if (!_id) return false;
    // A conversation made before fingerprints existed has none: '' and absent are the same.
    const filter: Filter<ConversationDoc> =
      from === ''
        ? { _id, $or: [{ transcriptHash: '' }, { transcriptHash: { $exists: false } }] }
        : { _id, transcriptHash: from };
    const result = await guard(this.#conversations.updateOne(filter, { $set: { transcriptHash: to } }));
    return result.modifiedCount > 0 || result.matchedCount > 0;
  }

  async setTitle(id: string, title: string): Promise<void> {
    await this.#update(id, { title });
  }

  async setSummary(id: string, summary: string, throughSeq: number): Promise<void> {
    await this.#update(id, { summary, summarizedThroughSeq: throughSeq });
  }

  async attachment(id: string, owner: Owner): Promise<StoredAttachment | null> {
    const found = await this.#attachments.read(id);
    if (!found) return null;
    // Owner-scoped like every read: someone else's attachment is as unknown as a missing one.
    return (await this.get(found.conversationId, owner)) ? found : null;
  }

  async delete(id: string, owner: Owner): Promise<boolean> {
    const _id = toObjectId(id);
    if (!_id) return false;
    const { deletedCount } = await guard(this.#conversations.deleteOne({ _id, ...ownerFilter(owner) }));
    if (deletedCount === 0) return false;
    // Messages go second: an append racing with this delete checks afterwards and removes its own.
    await guard(this.#messages.deleteMany({ conversationId: _id }));
    await this.#attachments.removeConversation(_id);
    return true;
  }

  async ping(): Promise<void> {
    await guard(this.#db.command({ ping: 1 }));
  }

  async close(): Promise<void> {
    await this.#client?.close();
  }

  async #update(id: string, fields: Partial<ConversationDoc>): Promise<void> {
    const _id = toObjectId(id);
    const result = _id ? await guard(this.#conversations.updateOne({ _id }, { $set: fields })) : undefined;
    if (!result || result.matchedCount === 0) throw new NotFoundError('conversation');
  }
}
