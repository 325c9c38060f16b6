import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { useCongoClient } from '../../../tests/support/congo-client.ts';
import { describeIdentityStore } from './identity-store.contract.ts';
import { MongoIdentityStore } from './mongo-identity-store.ts';

const freshDbName = (): string => `parley_people_${randomUUID().replaceAll('-', '').slice(0, 16)}`;

describe('MongoIdentityStore over CongoDB', () => {
  const congo = useCongoClient();

  describeIdentityStore('contract', async () => {
    const db = congo.client().db(freshDbName());
    const store = new MongoIdentityStore({ db });
    await store.ensureIndexes();
    return { store, cleanup: async () => void (await db.dropDatabase()) };
  });

  it('keeps one document per identity when two replicas link it first at once', async () => {
    const db = congo.client().db(freshDbName());
    const replicas = [new MongoIdentityStore({ db }), new MongoIdentityStore({ db })];
    const ann = { clientId: 'cli', userId: 'ann' };
    await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        i % 2 === 0
          ? replicas[0]?.join('p1', [ann], new Date())
          : replicas[1]?.setLanguage(ann, 'ru', new Date()),
      ),
    );
    expect(await db.collection('identities').countDocuments({})).toBe(1);
    expect((await replicas[1]?.personOf(ann))?.personId).toBe('p1');
    await db.dropDatabase();
  });
});
