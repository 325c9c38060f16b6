import type { ClientPolicy } from '@parley/config';
import type { BudgetLimit, PeriodUsage, Timestamp, UsageServiceTwirp, UsageTotals } from '@parley/rpc';
import { tooLong, ValidationError } from '../errors/app-error.ts';
import type { PeriodStatus, PolicyGuard } from '../policy/policy-guard.ts';
import type { UsageTotals as LedgerTotals } from '../policy/usage-ledger.ts';
import type { TurnGate } from '../turns/turn-gate.ts';
import { withErrorTranslation } from './error-translation.ts';
import { requestContext } from './request-context.ts';

export interface UsageServiceDeps {
  guard: PolicyGuard;
  gate: TurnGate;
  currency: string;
  defaultModel: string;
}

const MAX_USER_ID = 128;

/** UsageService: a client asks about one of its own users (the owner is always the calling client). */
export function createUsageService(deps: UsageServiceDeps): UsageServiceTwirp {
  return withErrorTranslation<UsageServiceTwirp>({
    async GetUsage(ctx, req) {
      const clientId = requestContext(ctx.req).clientId;
      if (req.userId.length > MAX_USER_ID) throw tooLong('user_id', MAX_USER_ID);
      const policy = deps.gate.policyOf(clientId);
      const status = await deps.guard.status(policy, { clientId, userId: req.userId });
      return {
        daily: toWirePeriod(status.daily),
        monthly: toWirePeriod(status.monthly),
        blocked: status.blocked,
        currency: deps.currency,
        ...modelsOf(policy, deps.defaultModel),
      };
    },
  });
}

function modelsOf(policy: ClientPolicy, defaultModel: string) {
  if (policy.models === 'any') return { allowedModels: [], defaultModel, anyModel: true };
  const others = policy.models.filter((m) => m !== defaultModel);
  return { allowedModels: [defaultModel, ...others], defaultModel, anyModel: false };
}

function toWirePeriod(period: PeriodStatus): PeriodUsage {
  return {
    firstDay: period.range.from,
    lastDay: period.range.to,
    used: toWireTotals(period.used),
    limit: toWireLimit(period.limit),
    remaining: toWireLimit(period.remaining),
    resetsAt: toTimestamp(period.resetsAt),
  };
}

export function toWireTotals(totals: LedgerTotals): UsageTotals {
  return {
    inputTokens: String(totals.inputTokens),
    outputTokens: String(totals.outputTokens),
    costMicros: String(totals.costMicros),
    turns: String(totals.turns),
  };
}

export function toWireLimit(limit: { tokens?: number; costMicros?: number }): BudgetLimit {
  return {
    ...(limit.tokens === undefined ? {} : { tokens: String(limit.tokens) }),
    ...(limit.costMicros === undefined ? {} : { costMicros: String(limit.costMicros) }),
  };
}

/** A wire limit back to numbers; negative or non-integer values are refused. */
export function fromWireLimit(limit: BudgetLimit, field: string): { tokens?: number; costMicros?: number } {
  const parse = (value: string | undefined, name: string): number | undefined => {
    if (value === undefined) return undefined;
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < 0)
      throw new ValidationError(`${field}.${name}`, 'must be a whole number ≥ 0');
    return n;
  };
  const tokens = parse(limit.tokens, 'tokens');
  const costMicros = parse(limit.costMicros, 'cost_micros');
  return { ...(tokens === undefined ? {} : { tokens }), ...(costMicros === undefined ? {} : { costMicros }) };
}

export function toTimestamp(date: Date): Timestamp {
  const ms = date.getTime();
  return { seconds: String(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1_000_000 };
}
