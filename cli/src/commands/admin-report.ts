import {
  type AdminClient,
  GetUsageReportResponse,
  ListTopUsersResponse,
  UsageGrouping,
  type UsageRow,
} from '@parley/rpc';
import type { Io } from '../io/command-context.ts';
import { UsageError } from '../io/errors.ts';
import { ExitCode } from '../io/exit-codes.ts';
import { formatTable, writeJson, writeLine } from '../io/output.ts';
import { formatMoney, formatTokens } from '../policy/usage-format.ts';

/** The groupings `--by` takes, as the proto names them. */
export const GROUPINGS = {
  user: UsageGrouping.USER,
  model: UsageGrouping.MODEL,
  client: UsageGrouping.CLIENT,
  day: UsageGrouping.DAY,
} as const;

export type GroupingName = keyof typeof GROUPINGS;

/** The range and filters both reports take. */
export interface RangeOptions {
  since?: string;
  until?: string;
  client?: string;
  limit?: number;
  json?: boolean;
}

export interface AdminUsageOptions extends RangeOptions {
  by?: GroupingName;
  user?: string;
}

/** `parley admin usage`: usage summed by user (default), model, client or day over UTC days. */
export async function runAdminUsage(io: Io, admin: AdminClient, options: AdminUsageOptions): Promise<number> {
  const by = options.by ?? 'user';
  if (options.user && !options.client)
    throw new UsageError('--user needs --client (users belong to a client)');
  const report = await admin.getUsageReport({
    ...range(options),
    groupBy: GROUPINGS[by],
    ...(options.user ? { userId: options.user } : {}),
  });
  if (options.json) {
    writeJson(io.stdout, GetUsageReportResponse.toJson(report));
    return ExitCode.ok;
  }
  if (report.rows.length === 0) {
    writeLine(io.stderr, 'no usage in that range');
    return ExitCode.ok;
  }
  writeLine(io.stdout, usageTable(report.rows, by, report.currency));
  return ExitCode.ok;
}

/** `parley admin top`: the users who used the most over the range (by cost, then tokens). */
export async function runAdminTop(io: Io, admin: AdminClient, options: RangeOptions): Promise<number> {
  const top = await admin.listTopUsers(range(options));
  if (options.json) {
    writeJson(io.stdout, ListTopUsersResponse.toJson(top));
    return ExitCode.ok;
  }
  if (top.users.length === 0) {
    writeLine(io.stderr, 'no usage in that range');
    return ExitCode.ok;
  }
  writeLine(io.stdout, usageTable(top.users, 'user', top.currency));
  return ExitCode.ok;
}

const KEY_COLUMNS: Record<GroupingName, Array<[string, (row: UsageRow) => string]>> = {
  user: [
    ['CLIENT', (r) => r.clientId],
    ['USER', (r) => r.userId],
  ],
  client: [['CLIENT', (r) => r.clientId]],
  model: [['MODEL', (r) => r.model]],
  day: [['DAY', (r) => r.day]],
};

/** The grouping's columns, then TURNS, INPUT and OUTPUT tokens, COST. */
export function usageTable(rows: UsageRow[], by: GroupingName, currency: string): string {
  const keys = KEY_COLUMNS[by];
  const header = [...keys.map(([name]) => name), 'TURNS', 'INPUT', 'OUTPUT', 'COST'];
  const body = rows.map((row) => [
    ...keys.map(([, cell]) => cell(row)),
    formatTokens(row.totals?.turns),
    formatTokens(row.totals?.inputTokens),
    formatTokens(row.totals?.outputTokens),
    formatMoney(row.totals?.costMicros, currency),
  ]);
  return formatTable(header, body);
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

function range(options: RangeOptions) {
  for (const [flag, value] of [
    ['--since', options.since],
    ['--until', options.until],
  ] as const) {
    if (value !== undefined && !(DAY.test(value) && !Number.isNaN(Date.parse(`${value}T00:00:00Z`)))) {
      throw new UsageError(`${flag} takes a UTC day as YYYY-MM-DD, not ${JSON.stringify(value)}`);
    }
  }
  return {
    ...(options.since ? { firstDay: options.since } : {}),
    ...(options.until ? { lastDay: options.until } : {}),
    ...(options.client ? { clientId: options.client } : {}),
    ...(options.limit ? { limit: options.limit } : {}),
  };
}
