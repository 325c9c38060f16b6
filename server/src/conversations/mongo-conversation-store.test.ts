import { randomUUID } from 'node:crypto';
import { createLogger } from '@parley/logger';
import {
  type CommandStartedEvent,
  type CommandSucceededEvent,
  MongoClient,
  type MongoClientOptions,
  ObjectId,
} from 'mongodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startCongo } from '../../../tests/support/congo.ts';
import { describeConversationStore } from './conversation-store.contract.ts';
import type { Owner } from './conversation-store.ts';
import { MongoConversationStore } from './mongo-conversation-store.ts';

const logger = createLogger({ name: 'test', level: 'silent', pretty: false });
const realMongoUrl = process.env.MONGODB_TEST_URL;

interface Server {
  url: string;
  clientOptions: MongoClientOptions;
  stop(): Promise<void>;
}

/** One database per test, dropped afterwards, so nothing leaks between tests or runs. */
const freshDbName = (): string => `parley_test_${randomUUID().replaceAll('-', '').slice(0, 16)}`;

describeOverServer('MongoConversationStore over CongoDB', startCongo, { realMongo: false });
// Registered only when a real server is given, so an unset variable adds no skipped tests beyond the
// "needs a real MongoDB" suite below.
if (realMongoUrl) {
  const real = async (): Promise<Server> => ({ url: realMongoUrl, clientOptions: {}, stop: async () => {} });
  describeOverServer('MongoConversationStore over a real MongoDB (MONGODB_TEST_URL)', real, {
    realMongo: true,
  });
}

function describeOverServer(
  name: string,
  start: () => Promise<Server>,
  options: { realMongo: boolean },
): void {
  describe(name, () => defineSuites(start, options));
}

function defineSuites(start: () => Promise<Server>, options: { realMongo: boolean }): void {
  let server: Server;
  let client: MongoClient;

  beforeAll(async () => {
    server = await start();
    client = await new MongoClient(server.url, clientOptions()).connect();
  });

  const clientOptions = (extra: MongoClientOptions = {}): MongoClientOptions => ({
    serverSelectionTimeoutMS: 5000,
    ...server.clientOptions,
    ...extra,
  });

  afterAll(async () => {
    await client?.close();
    await server?.stop();
  });

  // The append/delete race case passes on CongoDB too: the store re-checks after inserting instead of
  // relying on transactions, so the whole contract runs on both servers.
  describeConversationStore('contract', async () => {
    const db = client.db(freshDbName());
    const store = new MongoConversationStore({ db });
    await store.ensureIndexes();
    return { store, cleanup: async () => void (await db.dropDatabase()) };
  });

  describe('driver-level behaviour', () => {
    const owner: Owner = { clientId: 'cli', userId: 'ada' };
    const cleanups: (() => Promise<unknown>)[] = [];
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });

    /** A store on its own client (to watch its commands) and its own database. */
    async function open(extra: MongoClientOptions = {}) {
      const own = await new MongoClient(server.url, clientOptions(extra)).connect();
      const db = own.db(freshDbName());
      const store = new MongoConversationStore({ db, client: own });
      await store.ensureIndexes();
      cleanups.push(
        () => store.close(),
        () => db.dropDatabase(),
      );
      return { store, db, client: own };
    }

    it('reads only the window of a 10,000-message conversation', async () => {
      const { store, db, client: own } = await open({ monitorCommands: true });
      const created = await store.create({ owner, title: 'Long', platform: '', chatId: '' });
      const conversationId = ObjectId.createFromHexString(created.id);
      const messages = Array.from({ length: 10_000 }, (_, i) => ({
        _id: new ObjectId(),
        conversationId,
        seq: i + 1,
        role: 'user',
        content: `m${i + 1}`,
        toolCalls: [],
        createdAt: new Date(),
      }));
      await db.collection('messages').insertMany(messages);
      await db
        .collection('conversations')
        .updateOne({ _id: conversationId }, { $set: { lastSeq: 10_000, messageCount: 10_000 } });

      const started: CommandStartedEvent[] = [];
      const succeeded: CommandSucceededEvent[] = [];
      own.on('commandStarted', (event) => started.push(event));
      own.on('commandSucceeded', (event) => succeeded.push(event));
      const recent = await store.recentMessages(created.id, 20);

      expect(recent.map((m) => m.seq)).toEqual(Array.from({ length: 20 }, (_, i) => 9_981 + i));
      expect(started.map((e) => e.commandName)).toEqual(['find']);
      const find = started[0]?.command ?? {};
      expect(find).toMatchObject({ find: 'messages', filter: { conversationId }, limit: 20 });
      // The driver sends the sort as a Map (it keeps key order).
      expect(Object.fromEntries(find.sort as Map<string, number>)).toEqual({ seq: -1 });
      const cursor = succeeded[0]?.reply as { cursor: { id: unknown; firstBatch: unknown[] } };
      expect(cursor.cursor.firstBatch).toHaveLength(20);
      expect(Number(cursor.cursor.id)).toBe(0);
      if (options.realMongo) await expectIndexedWindow(db, conversationId);
    });

    it('treats ids that are not 24 hex digits as unknown, never as a BSON error', async () => {
      const { store } = await open();
      const created = await store.create({ owner, title: 't', platform: '', chatId: '' });
      // Twelve characters: the driver's ObjectId.isValid accepts these as raw bytes.
      for (const id of ['twelve-chars', 'zz', '', `${created.id}0`, created.id.replace(/./, 'g')]) {
        expect(await store.get(id, owner)).toBeNull();
        expect(await store.recentMessages(id, 5)).toEqual([]);
        expect(await store.messages(id, { afterSeq: 0, limit: 5 })).toEqual([]);
        expect(await store.delete(id, owner)).toBe(false);
        await expect(store.append(id, { role: 'user', content: 'x' })).rejects.toMatchObject({
          code: 'not_found',
        });
        await expect(store.setTitle(id, 'x')).rejects.toMatchObject({ code: 'not_found' });
        await expect(store.setSummary(id, 'x', 1)).rejects.toMatchObject({ code: 'not_found' });
      }
      const badCursor = { updatedAt: created.updatedAt, id: 'twelve-chars' };
      await expect(store.list(owner, { limit: 5, after: badCursor })).rejects.toMatchObject({
        code: 'invalid_argument',
      });
    });

    // The contract's delete-during-appends case, run here on every server too: this store's correctness
    // under a racing delete rests on single-document writes only, which CongoDB has too.
    it('leaves no message behind when the conversation is deleted during appends', async () => {
      const { store } = await open();
      const created = await store.create({ owner, title: 't', platform: '', chatId: '' });
      const appends = Array.from({ length: 20 }, (_, i) =>
        store.append(created.id, { role: 'user', content: `m${i}` }),
      );
      const deleted = store.delete(created.id, owner);
      for (const result of await Promise.allSettled(appends)) {
        if (result.status === 'rejected') expect(result.reason).toMatchObject({ code: 'not_found' });
      }
      expect(await deleted).toBe(true);
      expect(await store.recentMessages(created.id, 100)).toEqual([]);
    });

    it('never moves updatedAt backwards when a replica clock lags', async () => {
      const { store: ahead, db } = await open();
      const behind = new MongoConversationStore({ db, clock: () => new Date(Date.now() - 60_000) });
      const created = await ahead.create({ owner, title: 't', platform: '', chatId: '' });
      await behind.append(created.id, { role: 'user', content: 'from a slow clock' });
      const after = await ahead.get(created.id, owner);
      expect(after?.updatedAt).toEqual(created.updatedAt);
      expect(after?.messageCount).toBe(1);
    });

    it('numbers appends from two replicas on one database without gaps', async () => {
      const first = await open();
      const second = new MongoConversationStore({ db: (await open()).client.db(first.db.databaseName) });
      const created = await first.store.create({ owner, title: 't', platform: '', chatId: '' });
      const appends = Array.from({ length: 40 }, (_, i) =>
        (i % 2 === 0 ? first.store : second).append(created.id, { role: 'user', content: `m${i}` }),
      );
      const seqs = (await Promise.all(appends)).map((m) => m.seq).sort((a, b) => a - b);
      expect(seqs).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
      expect((await first.store.get(created.id, owner))?.messageCount).toBe(40);
    });

    it('creates the indexes for message order, owner listing and session fallback', async () => {
      const { db } = await open();
      const keys = async (collection: string) =>
        (await db.collection(collection).listIndexes().toArray()).map((index) => index.key as unknown);
      expect(await keys('messages')).toContainEqual({ conversationId: 1, seq: 1 });
      const conversationKeys = await keys('conversations');
      expect(conversationKeys).toContainEqual({ clientId: 1, userId: 1, updatedAt: -1, _id: -1 });
      expect(conversationKeys).toContainEqual({
        clientId: 1,
        userId: 1,
        platform: 1,
        chatId: 1,
        updatedAt: -1,
      });
    });

    it('connects with its own helper and answers a ping', async () => {
      const store = await MongoConversationStore.connect({
        url: server.url,
        dbName: freshDbName(),
        logger,
        clientOptions: server.clientOptions,
      });
      cleanups.push(() => store.close());
      await expect(store.ping()).resolves.toBeUndefined();
    });

    it('fails as unavailable, without hanging, when the server cannot be reached', async () => {
      const gone = await startCongo();
      await gone.stop();
      const before = Date.now();
      await expect(
        MongoConversationStore.connect({
          url: gone.url,
          logger,
          clientOptions: { ...gone.clientOptions, serverSelectionTimeoutMS: 300 },
        }),
      ).rejects.toMatchObject({ code: 'unavailable' });
      expect(Date.now() - before).toBeLessThan(5000);
    });
  });
}

/** Real MongoDB only (CongoDB has no explain): the read is an index scan that examines 20 documents. */
async function expectIndexedWindow(
  db: ReturnType<MongoClient['db']>,
  conversationId: ObjectId,
): Promise<void> {
  const plan = await db
    .collection('messages')
    .find({ conversationId })
    .sort({ seq: -1 })
    .limit(20)
    .explain('executionStats');
  const stats = plan.executionStats as { totalDocsExamined: number; totalKeysExamined: number };
  expect(stats.totalDocsExamined).toBe(20);
  expect(stats.totalKeysExamined).toBeLessThanOrEqual(21);
}

// What CongoDB cannot show. Without MONGODB_TEST_URL these are reported as skipped, by name, so CI output
// lists exactly what was not exercised here.
describe.skipIf(!realMongoUrl)('needs a real MongoDB (set MONGODB_TEST_URL)', () => {
  let client: MongoClient;
  let db: ReturnType<MongoClient['db']>;

  beforeAll(async () => {
    client = await new MongoClient(realMongoUrl ?? '', { serverSelectionTimeoutMS: 5000 }).connect();
    db = client.db(freshDbName());
  });
  afterAll(async () => {
    await db?.dropDatabase();
    await client?.close();
  });

  it('enforces the unique (conversationId, seq) index on messages', async () => {
    const store = new MongoConversationStore({ db });
    await store.ensureIndexes();
    const conversationId = new ObjectId();
    const message = {
      conversationId,
      seq: 1,
      role: 'user',
      content: 'x',
      toolCalls: [],
      createdAt: new Date(),
    };
    await db.collection('messages').insertOne({ ...message });
    await expect(db.collection('messages').insertOne({ ...message })).rejects.toMatchObject({ code: 11000 });
  });

  it('reads the context window of a 10,000-message conversation examining only the window', async () => {
    const store = new MongoConversationStore({ db });
    await store.ensureIndexes();
    const conversationId = new ObjectId();
    const messages = Array.from({ length: 10_000 }, (_, i) => ({
      conversationId,
      seq: i + 1,
      role: 'user',
      content: `m${i}`,
      toolCalls: [],
      createdAt: new Date(),
    }));
    await db.collection('messages').insertMany(messages);
    await expectIndexedWindow(db, conversationId);
  });
});
