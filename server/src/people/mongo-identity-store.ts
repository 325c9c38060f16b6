import type { Collection, Db, MongoClient, ObjectId } from 'mongodb';
import { derivedId, retryOnDuplicate } from '../mongo/derived-id.ts';
import { connectOwnClient, type OwnClientOptions } from '../mongo/own-client.ts';
import type { Identity } from './identity.ts';
import type { IdentityStore, LinkedIdentity, NewLinkCode, PersonRecord } from './identity-store.ts';

interface IdentityDoc {
  _id: ObjectId;
  clientId: string;
  userId: string;
  personId: string | null;
  linkedAt: Date | null;
  language: string;
  languageSetAt: Date | null;
}

interface CodeDoc {
  codeHash: string;
  clientId: string;
  userId: string;
  createdAt: Date;
  expiresAt: Date;
  redeemedAt: Date | null;
  redeemedBy: Identity | null;
}

export interface MongoIdentityStoreDeps {
  db: Db;
  /** Closed by `close()` when given (the store made its own client). */
  client?: MongoClient;
}

/**
 * IdentityStore on MongoDB through the official driver. An identity's document has an `_id` derived from
 * (client, user), so two replicas writing it first make one document. A code is claimed by one
 * `findOneAndUpdate` whose filter requires it unredeemed and unexpired: atomic on one document, so one
 * claim wins whatever the indexes. Expiry is checked in every query; the TTL index on `expiresAt` only
 * tidies up (CongoDB never applies it).
 */
export class MongoIdentityStore implements IdentityStore {
  readonly #db: Db;
  readonly #identities: Collection<IdentityDoc>;
  readonly #codes: Collection<CodeDoc>;
  readonly #client: MongoClient | undefined;

  constructor(deps: MongoIdentityStoreDeps) {
    this.#db = deps.db;
    this.#identities = deps.db.collection<IdentityDoc>('identities');
    this.#codes = deps.db.collection<CodeDoc>('link_codes');
    this.#client = deps.client;
  }

  /** Connects its own client (failing fast when unreachable) and ensures the indexes. */
  static connect(options: OwnClientOptions): Promise<MongoIdentityStore> {
    return connectOwnClient(
      options,
      'identity store',
      (db, client) => new MongoIdentityStore({ db, client }),
    );
  }

  /** Idempotent; run at start. */
  async ensureIndexes(): Promise<void> {
    await this.#identities.createIndexes([{ key: { personId: 1, linkedAt: 1 } }]);
    await this.#codes.createIndexes([
      { key: { codeHash: 1 } },
      { key: { clientId: 1, userId: 1 } },
      { key: { expiresAt: 1 }, expireAfterSeconds: 0 },
    ]);
  }

  async personOf(identity: Identity): Promise<PersonRecord | null> {
    const doc = await this.#identities.findOne(
      { _id: identityId(identity) },
      { projection: { personId: 1 } },
    );
    if (!doc?.personId) return null;
    return { personId: doc.personId, identities: await this.#members(doc.personId) };
  }

  async saveCode(code: NewLinkCode): Promise<boolean> {
    const { clientId, userId } = code.issuer;
    await this.#codes.deleteMany({
      $or: [{ expiresAt: { $lte: code.createdAt } }, { clientId, userId, redeemedAt: null }],
    });
    const live = { codeHash: code.codeHash, redeemedAt: null, expiresAt: { $gt: code.createdAt } };
    if (await this.#codes.findOne(live)) return false;
    await this.#codes.insertOne({
      codeHash: code.codeHash,
      clientId,
      userId,
      createdAt: code.createdAt,
      expiresAt: code.expiresAt,
      redeemedAt: null,
      redeemedBy: null,
    });
    return true;
  }

  async claimCode(codeHash: string, redeemer: Identity, now: Date): Promise<Identity | null> {
    const claimed = await this.#codes.findOneAndUpdate(
      { codeHash, redeemedAt: null, expiresAt: { $gt: now } },
      { $set: { redeemedAt: now, redeemedBy: { clientId: redeemer.clientId, userId: redeemer.userId } } },
      { returnDocument: 'before' },
    );
    return claimed ? { clientId: claimed.clientId, userId: claimed.userId } : null;
  }

  async join(personId: string, identities: readonly Identity[], at: Date): Promise<void> {
    for (const { clientId, userId } of identities) {
      await retryOnDuplicate(() =>
        this.#identities.updateOne(
          { _id: identityId({ clientId, userId }) },
          {
            $set: { personId, linkedAt: at },
            $setOnInsert: { clientId, userId, language: '', languageSetAt: null },
          },
          { upsert: true },
        ),
      );
    }
  }

  async merge(from: string, to: string): Promise<void> {
    await this.#identities.updateMany({ personId: from }, { $set: { personId: to } });
  }

  async leave(identity: Identity): Promise<boolean> {
    const { modifiedCount } = await this.#identities.updateOne(
      { _id: identityId(identity), personId: { $ne: null } },
      { $set: { personId: null, linkedAt: null } },
    );
    return modifiedCount > 0;
  }

  async people(options: { clientId?: string; limit: number }): Promise<PersonRecord[]> {
    const filter = options.clientId ? { clientId: options.clientId } : {};
    const ids = (await this.#identities.distinct('personId', { ...filter, personId: { $ne: null } }))
      .filter((id): id is string => typeof id === 'string')
      .sort()
      .slice(0, options.limit);
    return Promise.all(
      ids.map(async (personId) => ({ personId, identities: await this.#members(personId) })),
    );
  }

  async language(identities: readonly Identity[]): Promise<string> {
    if (identities.length === 0) return '';
    const doc = await this.#identities.findOne(
      { _id: { $in: identities.map(identityId) }, languageSetAt: { $ne: null } },
      { sort: { languageSetAt: -1 }, projection: { language: 1 } },
    );
    return doc?.language ?? '';
  }

  async setLanguage(identity: Identity, language: string, at: Date): Promise<void> {
    const { clientId, userId } = identity;
    await retryOnDuplicate(() =>
      this.#identities.updateOne(
        { _id: identityId(identity) },
        {
          $set: { language, languageSetAt: at },
          $setOnInsert: { clientId, userId, personId: null, linkedAt: null },
        },
        { upsert: true },
      ),
    );
  }

  async ping(): Promise<void> {
    await this.#db.command({ ping: 1 });
  }

  async close(): Promise<void> {
    await this.#client?.close();
  }

  async #members(personId: string): Promise<LinkedIdentity[]> {
    const docs = await this.#identities
      .find({ personId }, { projection: { clientId: 1, userId: 1, linkedAt: 1 } })
      .sort({ linkedAt: 1, clientId: 1, userId: 1 })
      .toArray();
    return docs.map((d) => ({ clientId: d.clientId, userId: d.userId, linkedAt: d.linkedAt ?? new Date(0) }));
  }
}

function identityId(identity: Identity): ObjectId {
  return derivedId('identity', identity.clientId, identity.userId);
}
