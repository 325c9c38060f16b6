import type { DayRange } from './usage-ledger.ts';

/** Budget periods are UTC calendar days and months, so every replica and report agrees on them. */
export type BudgetPeriod = 'daily' | 'monthly';

/** `YYYY-MM-DD` of `at` in UTC. */
export function utcDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/** The days of `period` that contain `at`, up to and including `at`'s day. */
export function periodRange(period: BudgetPeriod, at: Date): DayRange {
  const day = utcDay(at);
  return { from: period === 'daily' ? day : `${day.slice(0, 8)}01`, to: day };
}

/** When the period containing `at` ends: the next UTC midnight, or the first of the next UTC month. */
export function periodEnd(period: BudgetPeriod, at: Date): Date {
  const y = at.getUTCFullYear();
  const m = at.getUTCMonth();
  return period === 'daily' ? new Date(Date.UTC(y, m, at.getUTCDate() + 1)) : new Date(Date.UTC(y, m + 1, 1));
}
