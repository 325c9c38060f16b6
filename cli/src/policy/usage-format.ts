import type { BudgetLimit, PeriodUsage, UsageTotals } from '@parley/rpc';
import { formatTable, formatTime } from '../io/output.ts';

/** Money in millionths (int64 as text) as `1.50 USD`, with up to six decimals for small amounts. */
export function formatMoney(micros: string | undefined, currency: string): string {
  const amount = Number(micros ?? 0) / 1_000_000;
  const text = amount.toFixed(6).replace(/(\.\d\d\d*?)0+$/, '$1');
  return currency ? `${text} ${currency}` : text;
}

/** A token count (int64 as text) with thousands separators. */
export function formatTokens(tokens: string | undefined): string {
  return Number(tokens ?? 0).toLocaleString('en-US');
}

/** Input plus output tokens: what budgets count. */
export function totalTokens(totals: UsageTotals | undefined): string {
  return String(Number(totals?.inputTokens ?? 0) + Number(totals?.outputTokens ?? 0));
}

/** True when money matters for these periods: something was charged, or a money limit applies. */
export function isPriced(periods: Array<PeriodUsage | undefined>): boolean {
  return periods.some((p) => Number(p?.used?.costMicros ?? 0) > 0 || p?.limit?.costMicros !== undefined);
}

/**
 * The day and month of a user's usage as a table: used, limit and what is left of tokens (and of money
 * when priced), and when each period starts afresh.
 */
export function formatPeriods(periods: Array<[string, PeriodUsage | undefined]>, currency: string): string {
  const priced = isPriced(periods.map(([, p]) => p));
  const header = ['PERIOD', 'DAYS', 'TURNS', 'TOKENS', 'LIMIT', 'LEFT'];
  if (priced) header.push('COST', 'COST LIMIT', 'COST LEFT');
  header.push('RESETS');
  const rows = periods.map(([name, p]) => {
    const days = p && p.firstDay !== p.lastDay ? `${p.firstDay}..${p.lastDay}` : (p?.firstDay ?? '-');
    const row = [name, days, formatTokens(p?.used?.turns), formatTokens(totalTokens(p?.used))];
    row.push(...limitCells(p?.limit, p?.remaining, 'tokens', formatTokens));
    if (priced) {
      const money = (v: string | undefined) => formatMoney(v, currency);
      row.push(money(p?.used?.costMicros), ...limitCells(p?.limit, p?.remaining, 'costMicros', money));
    }
    row.push(formatTime(p?.resetsAt));
    return row;
  });
  return formatTable(header, rows);
}

function limitCells(
  limit: BudgetLimit | undefined,
  remaining: BudgetLimit | undefined,
  key: keyof BudgetLimit,
  format: (value: string | undefined) => string,
): [string, string] {
  const value = limit?.[key];
  return value === undefined ? ['unlimited', '-'] : [format(value), format(remaining?.[key])];
}
