import type { Collection, Db, Document, MongoClient, ObjectId } from 'mongodb';
import { derivedId, retryOnDuplicate } from '../mongo/derived-id.ts';
import { connectOwnClient, type OwnClientOptions } from '../mongo/own-client.ts';
import {
  type BlockRecord,
  type BudgetOverride,
  compareRows,
  type DayRange,
  GROUP_FIELDS,
  type UsageAmount,
  type UsageLedger,
  type UsageOwner,
  type UsageReportQuery,
  type UsageRow,
  type UsageTotals,
  type UserControls,
} from './usage-ledger.ts';

interface UsageDoc extends UsageTotals {
  _id: ObjectId;
  clientId: string;
  userId: string;
  model: string;
  day: string;
}

interface ControlsDoc {
  _id: ObjectId;
  clientId: string;
  userId: string;
  blocked: BlockRecord | null;
  budget: BudgetOverride | null;
}

export interface MongoUsageLedgerDeps {
  db: Db;
  /** Closed by `close()` when given (the ledger made its own client). */
  client?: MongoClient;
}

const SUMS = {
  inputTokens: { $sum: '$inputTokens' },
  outputTokens: { $sum: '$outputTokens' },
  costMicros: { $sum: '$costMicros' },
  turns: { $sum: '$turns' },
};

/**
 * UsageLedger on MongoDB through the official driver. Every row's `_id` is an ObjectId derived from its
 * key (client, user, model, day) by hashing, so an upsert names exactly one document and the `_id` index,
 * which every MongoDB (and the CongoDB test peer) enforces, keeps two replicas' first charges from making
 * two rows: the loser of that race gets a duplicate-key error and retries as an update. `$inc` makes
 * concurrent charges add up without transactions.
 */
export class MongoUsageLedger implements UsageLedger {
  readonly #db: Db;
  readonly #usage: Collection<UsageDoc>;
  readonly #controls: Collection<ControlsDoc>;
  readonly #client: MongoClient | undefined;

  constructor(deps: MongoUsageLedgerDeps) {
    this.#db = deps.db;
    this.#usage = deps.db.collection<UsageDoc>('usage');
    this.#controls = deps.db.collection<ControlsDoc>('user_controls');
    this.#client = deps.client;
  }

  /** Connects its own client (failing fast when unreachable) and ensures the indexes. */
  static connect(options: OwnClientOptions): Promise<MongoUsageLedger> {
    return connectOwnClient(options, 'usage ledger', (db, client) => new MongoUsageLedger({ db, client }));
  }

  /** Idempotent; run at start. Totals read by (client, user, day); reports by day range. */
  async ensureIndexes(): Promise<void> {
    await this.#usage.createIndexes([{ key: { clientId: 1, userId: 1, day: 1 } }, { key: { day: 1 } }]);
    await this.#controls.createIndexes([{ key: { 'blocked.blockedAt': 1 } }]);
  }

  async charge(owner: UsageOwner, model: string, day: string, amount: UsageAmount): Promise<void> {
    const key = { clientId: owner.clientId, userId: owner.userId, model, day };
    const upsert = () =>
      this.#usage.updateOne(
        { _id: derivedId('usage', key.clientId, key.userId, model, day) },
        {
          $inc: {
            inputTokens: amount.inputTokens,
            outputTokens: amount.outputTokens,
            costMicros: amount.costMicros,
            turns: 1,
          },
          $setOnInsert: key,
        },
        { upsert: true },
      );
    await retryOnDuplicate(upsert);
  }

  async totals(owner: UsageOwner, range: DayRange): Promise<UsageTotals> {
    const [row] = await this.#usage
      .aggregate<UsageTotals>([
        {
          $match: {
            clientId: owner.clientId,
            userId: owner.userId,
            day: { $gte: range.from, $lte: range.to },
          },
        },
        { $group: { _id: null, ...SUMS } },
      ])
      .toArray();
    return {
      inputTokens: row?.inputTokens ?? 0,
      outputTokens: row?.outputTokens ?? 0,
      costMicros: row?.costMicros ?? 0,
      turns: row?.turns ?? 0,
    };
  }

  async report(query: UsageReportQuery): Promise<UsageRow[]> {
    const fields = GROUP_FIELDS[query.by];
    const match: Document = { day: { $gte: query.range.from, $lte: query.range.to } };
    if (query.clientId !== undefined) match.clientId = query.clientId;
    if (query.userId !== undefined) match.userId = query.userId;
    const groupId = Object.fromEntries(fields.map((f) => [f, `$${f}`]));
    const groups = await this.#usage
      .aggregate<{ _id: Record<string, string> } & UsageTotals>([
        { $match: match },
        { $group: { _id: groupId, ...SUMS } },
      ])
      .toArray();
    // One row per group: sorted and cut here so the order is the same as the embedded store's.
    const rows = groups.map(({ _id, inputTokens, outputTokens, costMicros, turns }) => ({
      ...Object.fromEntries(fields.map((f) => [f, _id[f] ?? ''])),
      inputTokens,
      outputTokens,
      costMicros,
      turns,
    }));
    rows.sort(compareRows);
    return query.limit === undefined ? rows : rows.slice(0, query.limit);
  }

  async controls(owner: UsageOwner): Promise<UserControls> {
    const doc = await this.#controls.findOne({ _id: controlsId(owner) });
    const controls: UserControls = {};
    if (doc?.blocked) controls.blocked = doc.blocked;
    if (doc?.budget) controls.budget = doc.budget;
    return controls;
  }

  async block(owner: UsageOwner, record: BlockRecord): Promise<void> {
    await this.#setControl(owner, { blocked: { ...record } });
  }

  async unblock(owner: UsageOwner): Promise<boolean> {
    const result = await this.#controls.updateOne(
      { _id: controlsId(owner), blocked: { $ne: null } },
      { $set: { blocked: null } },
    );
    return result.modifiedCount > 0;
  }

  async setBudget(owner: UsageOwner, budget: BudgetOverride | null): Promise<void> {
    await this.#setControl(owner, { budget });
  }

  async blockedUsers(clientId?: string): Promise<(UsageOwner & BlockRecord)[]> {
    const filter: Document = { blocked: { $ne: null } };
    if (clientId !== undefined) filter.clientId = clientId;
    const docs = await this.#controls.find(filter).toArray();
    return docs
      .flatMap((d) => (d.blocked ? [{ clientId: d.clientId, userId: d.userId, ...d.blocked }] : []))
      .sort(
        (a, b) =>
          a.blockedAt.getTime() - b.blockedAt.getTime() ||
          a.clientId.localeCompare(b.clientId) ||
          a.userId.localeCompare(b.userId),
      );
  }

  async ping(): Promise<void> {
    await this.#db.command({ ping: 1 });
  }

  async close(): Promise<void> {
    await this.#client?.close();
  }

  async #setControl(owner: UsageOwner, set: Partial<Pick<ControlsDoc, 'blocked' | 'budget'>>): Promise<void> {
    const insert: Partial<ControlsDoc> = { clientId: owner.clientId, userId: owner.userId };
    if (!('blocked' in set)) insert.blocked = null;
    if (!('budget' in set)) insert.budget = null;
    await retryOnDuplicate(() =>
      this.#controls.updateOne(
        { _id: controlsId(owner) },
        { $set: set, $setOnInsert: insert },
        { upsert: true },
      ),
    );
  }
}

function controlsId(owner: UsageOwner): ObjectId {
  return derivedId('controls', owner.clientId, owner.userId);
}
