import { randomUUID } from 'node:crypto';
import { createLogger } from '@parley/logger';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CongoDb, startCongo } from '../../../tests/support/congo.ts';
import { MongoUsageLedger } from './mongo-usage-ledger.ts';
import { describeUsageLedger } from './usage-ledger.contract.ts';

const logger = createLogger({ name: 'test', level: 'silent', pretty: false });
const freshDbName = (): string => `parley_usage_${randomUUID().replaceAll('-', '').slice(0, 16)}`;

describe('MongoUsageLedger over CongoDB', () => {
  let server: CongoDb;
  let client: MongoClient;

  beforeAll(async () => {
    server = await startCongo();
    client = await new MongoClient(server.url, {
      serverSelectionTimeoutMS: 5000,
      ...server.clientOptions,
    }).connect();
  });
  afterAll(async () => {
    await client?.close();
    await server?.stop();
  });

  describeUsageLedger('contract', async () => {
    const db = client.db(freshDbName());
    const ledger = new MongoUsageLedger({ db });
    await ledger.ensureIndexes();
    return { ledger, cleanup: async () => void (await db.dropDatabase()) };
  });

  it('keeps one document per (client, user, model, day) when two replicas charge it first at once', async () => {
    const db = client.db(freshDbName());
    const replicas = [new MongoUsageLedger({ db }), new MongoUsageLedger({ db })];
    const owner = { clientId: 'bot', userId: 'ada' };
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        replicas[i % 2]?.charge(owner, 'gpt-4o', '2026-03-01', {
          inputTokens: 1,
          outputTokens: 1,
          costMicros: 1,
        }),
      ),
    );
    expect(await db.collection('usage').countDocuments({})).toBe(1);
    expect(await replicas[0]?.totals(owner, { from: '2026-03-01', to: '2026-03-01' })).toMatchObject({
      turns: 10,
    });
    await db.dropDatabase();
  });

  it('connects with its own helper, and fails as unavailable without hanging when unreachable', async () => {
    const dbName = freshDbName();
    const ledger = await MongoUsageLedger.connect({
      url: server.url,
      dbName,
      logger,
      clientOptions: server.clientOptions,
    });
    await expect(ledger.ping()).resolves.toBeUndefined();
    await ledger.close();
    const gone = await startCongo();
    await gone.stop();
    await expect(
      MongoUsageLedger.connect({
        url: gone.url,
        dbName,
        logger,
        clientOptions: { ...gone.clientOptions, serverSelectionTimeoutMS: 300 },
      }),
    ).rejects.toMatchObject({ code: 'unavailable' });
  });
});
