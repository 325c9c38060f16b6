import { type AdminClient, type BudgetLimit, ListBlockedUsersResponse } from '@parley/rpc';
import { InvalidArgumentError } from 'commander';
import type { Io } from '../io/command-context.ts';
import { UsageError } from '../io/errors.ts';
import { ExitCode } from '../io/exit-codes.ts';
import { formatTable, formatTime, writeJson, writeLine } from '../io/output.ts';

/** Who an admin command is about: a user of one client (names from the server's API_KEYS). */
export interface UserRef {
  client: string;
  user: string;
}

export async function runBlock(io: Io, admin: AdminClient, ref: UserRef, reason?: string): Promise<number> {
  await admin.blockUser({ clientId: ref.client, userId: ref.user, ...(reason ? { reason } : {}) });
  writeLine(io.stdout, `blocked ${ref.user} of ${ref.client}: their turns are refused until unblocked`);
  return ExitCode.ok;
}

export async function runUnblock(io: Io, admin: AdminClient, ref: UserRef): Promise<number> {
  const { wasBlocked } = await admin.unblockUser({ clientId: ref.client, userId: ref.user });
  writeLine(
    io.stdout,
    wasBlocked ? `unblocked ${ref.user} of ${ref.client}` : `${ref.user} of ${ref.client} was not blocked`,
  );
  return ExitCode.ok;
}

export async function runBlocked(
  io: Io,
  admin: AdminClient,
  options: { client?: string; json?: boolean },
): Promise<number> {
  const response = await admin.listBlockedUsers(options.client ? { clientId: options.client } : {});
  if (options.json) {
    writeJson(io.stdout, ListBlockedUsersResponse.toJson(response));
    return ExitCode.ok;
  }
  if (response.users.length === 0) {
    writeLine(io.stderr, 'nobody is blocked');
    return ExitCode.ok;
  }
  const rows = response.users.map((u) => [
    u.clientId,
    u.userId,
    formatTime(u.blockedAt),
    u.blockedBy,
    u.reason || '-',
  ]);
  writeLine(io.stdout, formatTable(['CLIENT', 'USER', 'BLOCKED AT', 'BY', 'REASON'], rows));
  return ExitCode.ok;
}

/** `none` lifts a limit; otherwise a whole number of tokens or an amount of money. */
export type LimitValue = number | 'none';

export interface BudgetOptions {
  dailyTokens?: LimitValue;
  monthlyTokens?: LimitValue;
  dailyCost?: LimitValue;
  monthlyCost?: LimitValue;
  clear?: boolean;
}

/**
 * `parley admin budget`: the user's own limits, replacing the policy's for each period given (the server's
 * rule: a period given is replaced whole, so a quantity not given for it is unlimited); `--clear` goes
 * back to the policy.
 */
export async function runBudget(
  io: Io,
  admin: AdminClient,
  ref: UserRef,
  options: BudgetOptions,
): Promise<number> {
  const daily = periodLimit(options.dailyTokens, options.dailyCost);
  const monthly = periodLimit(options.monthlyTokens, options.monthlyCost);
  if (options.clear && (daily || monthly)) throw new UsageError('--clear takes no limits');
  if (!options.clear && !daily && !monthly) {
    throw new UsageError('give --daily-tokens, --monthly-tokens, --daily-cost, --monthly-cost, or --clear');
  }
  await admin.setUserBudget({
    clientId: ref.client,
    userId: ref.user,
    ...(options.clear ? { clear: true } : {}),
    ...(daily ? { daily } : {}),
    ...(monthly ? { monthly } : {}),
  });
  const what = options.clear ? 'the client policy’s budget applies again' : describeBudget(daily, monthly);
  writeLine(io.stdout, `${ref.user} of ${ref.client}: ${what}`);
  return ExitCode.ok;
}

function periodLimit(tokens: LimitValue | undefined, cost: LimitValue | undefined): BudgetLimit | undefined {
  if (tokens === undefined && cost === undefined) return undefined;
  const limit: BudgetLimit = {};
  if (typeof tokens === 'number') limit.tokens = String(tokens);
  if (typeof cost === 'number') limit.costMicros = String(Math.round(cost * 1_000_000));
  return limit;
}

function describeBudget(daily: BudgetLimit | undefined, monthly: BudgetLimit | undefined): string {
  const part = (name: string, limit: BudgetLimit | undefined) => {
    if (!limit) return undefined;
    const tokens = limit.tokens === undefined ? 'unlimited tokens' : `${limit.tokens} tokens`;
    const cost = limit.costMicros === undefined ? 'unlimited cost' : `cost ${Number(limit.costMicros) / 1e6}`;
    return `${name} ${tokens}, ${cost}`;
  };
  return [part('daily', daily), part('monthly', monthly)].filter(Boolean).join('; ');
}

/** Parses a limit flag: a whole number of tokens, or `none`. */
export function parseTokens(value: string): LimitValue {
  if (value === 'none') return 'none';
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0)
    throw new InvalidArgumentError('expected a whole number of tokens, or none');
  return n;
}

/** Parses a money flag: an amount in the server's currency (e.g. 1.50), or `none`. */
export function parseCost(value: string): LimitValue {
  if (value === 'none') return 'none';
  const n = Number(value);
  if (!/^\d+(\.\d{1,6})?$/.test(value) || !Number.isFinite(n)) {
    throw new InvalidArgumentError('expected an amount such as 1.50, or none');
  }
  return n;
}
