import type { BudgetLimit } from '@parley/config';

/** Whose usage: the calling client and the user it vouches for (a conversation owner's shape). */
export interface UsageOwner {
  clientId: string;
  userId: string;
}

/** What one charge adds. Money is in millionths of the price table's currency. */
export interface UsageAmount {
  inputTokens: number;
  outputTokens: number;
  costMicros: number;
}

/** Sums over charges; `turns` counts the charges. */
export interface UsageTotals extends UsageAmount {
  turns: number;
}

/** Inclusive range of UTC days, each `YYYY-MM-DD`. */
export interface DayRange {
  from: string;
  to: string;
}

export type UsageGrouping = 'client' | 'user' | 'model' | 'day';

/** One row of a report: the grouping's fields (`user` gives clientId and userId) and the sums. */
export interface UsageRow extends UsageTotals {
  clientId?: string;
  userId?: string;
  model?: string;
  day?: string;
}

export interface UsageReportQuery {
  range: DayRange;
  by: UsageGrouping;
  /** Only this client's (and, with userId, this user's) usage. */
  clientId?: string;
  userId?: string;
  /** At most this many rows; with `by: 'user'` this is the top users. */
  limit?: number;
}

/**
 * A user's budget set by an admin. A period given here replaces the client policy's for that period
 * (an empty limit lifts it); an absent period keeps the policy's.
 */
export interface BudgetOverride {
  daily?: BudgetLimit;
  monthly?: BudgetLimit;
}

export interface BlockRecord {
  reason: string;
  blockedAt: Date;
  /** The admin client that blocked the user. */
  blockedBy: string;
}

/** What admins set on one user, read in one lookup before every turn. */
export interface UserControls {
  blocked?: BlockRecord;
  budget?: BudgetOverride;
}

/**
 * Durable usage per (client, user, model, UTC day), shared by replicas and kept across restarts, plus
 * the per-user controls admins set (blocks, budget overrides) in the same store. Rows are sorted by
 * cost, then tokens (input + output), both descending, then by their key fields.
 */
export interface UsageLedger {
  /** Adds `amount` (and one turn) to the owner's row for `model` on `day`; concurrent charges all count. */
  charge(owner: UsageOwner, model: string, day: string, amount: UsageAmount): Promise<void>;
  /** The owner's sums over every model in `range` (zeros when nothing was charged). */
  totals(owner: UsageOwner, range: DayRange): Promise<UsageTotals>;
  /** Sums grouped by client, user, model or day over `range`; `by: 'user'` + `limit` is the top users. */
  report(query: UsageReportQuery): Promise<UsageRow[]>;
  controls(owner: UsageOwner): Promise<UserControls>;
  block(owner: UsageOwner, record: BlockRecord): Promise<void>;
  /** False when the user was not blocked. */
  unblock(owner: UsageOwner): Promise<boolean>;
  /** `null` removes the override (the client policy applies again). */
  setBudget(owner: UsageOwner, budget: BudgetOverride | null): Promise<void>;
  /** Blocked users (of one client when given), oldest block first. */
  blockedUsers(clientId?: string): Promise<(UsageOwner & BlockRecord)[]>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** Orders report rows: cost, then tokens, descending; then by key so equal rows keep a stable order. */
export function compareRows(a: UsageRow, b: UsageRow): number {
  return (
    b.costMicros - a.costMicros ||
    b.inputTokens + b.outputTokens - (a.inputTokens + a.outputTokens) ||
    rowKey(a).localeCompare(rowKey(b))
  );
}

function rowKey(row: UsageRow): string {
  return [row.clientId, row.userId, row.model, row.day].map((v) => v ?? '').join('\u0000');
}

/** The grouping's key fields, in the order stores select them. */
export const GROUP_FIELDS: Record<UsageGrouping, readonly ('clientId' | 'userId' | 'model' | 'day')[]> = {
  client: ['clientId'],
  user: ['clientId', 'userId'],
  model: ['model'],
  day: ['day'],
};
