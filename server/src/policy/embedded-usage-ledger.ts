import type Database from 'better-sqlite3';
import { type NonBlockingWrite, nonBlockingWriter } from '../sqlite/non-blocking-writer.ts';
import { openSqlite } from '../sqlite/sqlite-database.ts';
import { VersionedCache } from '../sqlite/versioned-cache.ts';
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

/** One entry per schema version; entry i upgrades `user_version` i to i + 1. */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS usage (
     client_id TEXT NOT NULL,
     user_id TEXT NOT NULL,
     day TEXT NOT NULL,
     model TEXT NOT NULL,
     input_tokens INTEGER NOT NULL,
     output_tokens INTEGER NOT NULL,
     cost_micros INTEGER NOT NULL,
     turns INTEGER NOT NULL,
     PRIMARY KEY (client_id, user_id, day, model)
   ) WITHOUT ROWID;
   CREATE INDEX IF NOT EXISTS usage_by_day ON usage (day);
   CREATE TABLE IF NOT EXISTS user_controls (
     client_id TEXT NOT NULL,
     user_id TEXT NOT NULL,
     blocked_reason TEXT,
     blocked_at INTEGER,
     blocked_by TEXT,
     budget TEXT,
     PRIMARY KEY (client_id, user_id)
   );`,
];

const SUMS =
  'COALESCE(SUM(input_tokens), 0) AS inputTokens, COALESCE(SUM(output_tokens), 0) AS outputTokens, ' +
  'COALESCE(SUM(cost_micros), 0) AS costMicros, COALESCE(SUM(turns), 0) AS turns';

const COLUMN = { clientId: 'client_id', userId: 'user_id', model: 'model', day: 'day' } as const;

const SQL = {
  charge: `INSERT INTO usage VALUES (?, ?, ?, ?, ?, ?, ?, 1)
    ON CONFLICT (client_id, user_id, day, model) DO UPDATE SET
      input_tokens = input_tokens + excluded.input_tokens,
      output_tokens = output_tokens + excluded.output_tokens,
      cost_micros = cost_micros + excluded.cost_micros,
      turns = turns + 1`,
  totals: `SELECT ${SUMS} FROM usage WHERE client_id = ? AND user_id = ? AND day BETWEEN ? AND ?`,
  controls:
    'SELECT blocked_reason, blocked_at, blocked_by, budget FROM user_controls WHERE client_id = ? AND user_id = ?',
  block: `INSERT INTO user_controls (client_id, user_id, blocked_reason, blocked_at, blocked_by) VALUES (?, ?, ?, ?, ?)
    ON CONFLICT (client_id, user_id) DO UPDATE SET
      blocked_reason = excluded.blocked_reason, blocked_at = excluded.blocked_at, blocked_by = excluded.blocked_by`,
  unblock: `UPDATE user_controls SET blocked_reason = NULL, blocked_at = NULL, blocked_by = NULL
    WHERE client_id = ? AND user_id = ? AND blocked_at IS NOT NULL`,
  setBudget: `INSERT INTO user_controls (client_id, user_id, budget) VALUES (?, ?, ?)
    ON CONFLICT (client_id, user_id) DO UPDATE SET budget = excluded.budget`,
  blocked: `SELECT client_id, user_id, blocked_reason, blocked_at, blocked_by FROM user_controls
    WHERE blocked_at IS NOT NULL AND (? IS NULL OR client_id = ?) ORDER BY blocked_at, client_id, user_id`,
} as const;

interface ControlsRow {
  client_id?: string;
  user_id?: string;
  blocked_reason: string | null;
  blocked_at: number | null;
  blocked_by: string | null;
  budget?: string | null;
}

/**
 * UsageLedger in an embedded SQLite file (its own file beside the conversations). Each charge is one
 * upsert statement, atomic in SQLite: concurrent charges all count, from this process or any other
 * sharing the file (WORKERS > 1).
 *
 * Admission reads a user's controls before every turn; admins change them rarely. They are kept in a
 * {@link VersionedCache}: forgotten when this ledger blocks, unblocks or sets a budget, or when any other
 * connection commits to the file (another process's charges included, so with WORKERS > 1 most
 * lookups read again; one process's own charges keep them).
 */
export class EmbeddedUsageLedger implements UsageLedger {
  readonly #db: Database.Database;
  readonly #write: NonBlockingWrite;
  // Admission reads and charging run on every turn: prepare each statement once (report's few shapes too).
  readonly #statements = new Map<string, Database.Statement<unknown[]>>();
  readonly #controls: VersionedCache<ControlsRow | null>;

  constructor(options: { path: string }) {
    this.#db = openSqlite({ path: options.path, migrations: MIGRATIONS, name: 'usage database' });
    // Every turn charges: it waits for another process's write lock on the event loop, not asleep.
    this.#write = nonBlockingWriter(this.#db, { name: 'usage database' });
    this.#controls = new VersionedCache(this.#db);
  }

  async charge(owner: UsageOwner, model: string, day: string, amount: UsageAmount): Promise<void> {
    const charge = this.#prepare(SQL.charge);
    await this.#write(() =>
      charge.run(
        owner.clientId,
        owner.userId,
        day,
        model,
        amount.inputTokens,
        amount.outputTokens,
        amount.costMicros,
      ),
    );
  }

  async totals(owner: UsageOwner, range: DayRange): Promise<UsageTotals> {
    const row = this.#prepare<UsageTotals>(SQL.totals).get(
      owner.clientId,
      owner.userId,
      range.from,
      range.to,
    );
    return row ?? { inputTokens: 0, outputTokens: 0, costMicros: 0, turns: 0 };
  }

  async report(query: UsageReportQuery): Promise<UsageRow[]> {
    const fields = GROUP_FIELDS[query.by];
    const select = fields.map((f) => `${COLUMN[f]} AS ${f}`).join(', ');
    const where = ['day BETWEEN ? AND ?'];
    const params: unknown[] = [query.range.from, query.range.to];
    if (query.clientId !== undefined) {
      where.push('client_id = ?');
      params.push(query.clientId);
    }
    if (query.userId !== undefined) {
      where.push('user_id = ?');
      params.push(query.userId);
    }
    const sql = `SELECT ${select}, ${SUMS} FROM usage WHERE ${where.join(' AND ')}
      GROUP BY ${fields.map((f) => COLUMN[f]).join(', ')}`;
    const rows = this.#prepare<UsageRow>(sql).all(...params);
    rows.sort(compareRows);
    return query.limit === undefined ? rows : rows.slice(0, query.limit);
  }

  async controls(owner: UsageOwner): Promise<UserControls> {
    const { clientId, userId } = owner;
    const row = this.#controls.get(
      `${clientId}\u0000${userId}`,
      () => this.#prepare<ControlsRow>(SQL.controls).get(clientId, userId) ?? null,
    );
    if (!row) return {};
    const controls: UserControls = {};
    const blocked = toBlock(row);
    if (blocked) controls.blocked = blocked;
    if (row.budget) controls.budget = JSON.parse(row.budget) as BudgetOverride;
    return controls;
  }

  async block(owner: UsageOwner, record: BlockRecord): Promise<void> {
    this.#prepare(SQL.block).run(
      owner.clientId,
      owner.userId,
      record.reason,
      record.blockedAt.getTime(),
      record.blockedBy,
    );
    this.#controls.clear();
  }

  async unblock(owner: UsageOwner): Promise<boolean> {
    const unblocked = this.#prepare(SQL.unblock).run(owner.clientId, owner.userId).changes > 0;
    this.#controls.clear();
    return unblocked;
  }

  async setBudget(owner: UsageOwner, budget: BudgetOverride | null): Promise<void> {
    this.#prepare(SQL.setBudget).run(
      owner.clientId,
      owner.userId,
      budget === null ? null : JSON.stringify(budget),
    );
    this.#controls.clear();
  }

  async blockedUsers(clientId?: string): Promise<(UsageOwner & BlockRecord)[]> {
    const rows = this.#prepare<ControlsRow>(SQL.blocked).all(clientId ?? null, clientId ?? null);
    return rows.flatMap((row) => {
      const block = toBlock(row);
      return block ? [{ clientId: row.client_id ?? '', userId: row.user_id ?? '', ...block }] : [];
    });
  }

  #prepare<Row = unknown>(sql: string): Database.Statement<unknown[], Row> {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#db.prepare<unknown[]>(sql);
      this.#statements.set(sql, statement);
    }
    return statement as Database.Statement<unknown[], Row>;
  }

  async ping(): Promise<void> {
    this.#prepare('SELECT 1').get();
  }

  async close(): Promise<void> {
    if (this.#db.open) this.#db.close();
  }
}

function toBlock(row: ControlsRow): BlockRecord | undefined {
  if (row.blocked_at === null) return undefined;
  return {
    reason: row.blocked_reason ?? '',
    blockedAt: new Date(row.blocked_at),
    blockedBy: row.blocked_by ?? '',
  };
}
