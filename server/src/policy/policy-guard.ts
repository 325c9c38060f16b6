import type { BudgetLimit, Budgets, ClientPolicy, ModelPrice } from '@parley/config';
import type { Logger } from '@parley/logger';
import { AppError } from '../errors/app-error.ts';
import { type ActingIdentity, identitiesOf, type PersonResolver } from '../people/identity.ts';
import { resolveModel } from './client-rules.ts';
import type { RateLimiter, RateRule } from './rate-limiter.ts';
import type { DayRange, UsageAmount, UsageLedger, UsageOwner, UsageTotals } from './usage-ledger.ts';
import { type BudgetPeriod, periodEnd, periodRange, utcDay } from './usage-periods.ts';

export interface PolicyGuardDeps {
  ledger: UsageLedger;
  limiter: RateLimiter;
  /** Price per 1M tokens by model; a model without a price costs nothing. */
  prices: Readonly<Record<string, ModelPrice>>;
  defaultModel: string;
  /** Usage and budgets are the person's: a linked identity's usage counts with its person's. */
  people: PersonResolver;
  clock: () => Date;
  logger: Logger;
}

export interface AdmissionRequest {
  policy: ClientPolicy;
  owner: UsageOwner;
  /** The model asked for (conversation or request); empty means the default. */
  model?: string;
  /** The request creates a conversation (counts against conversations per day). */
  newConversation?: boolean;
  /** The request runs a model turn (rate limits, budget). Default true. */
  turn?: boolean;
}

export interface Admission {
  /** The model the turn runs on. */
  model: string;
}

/** Where one budget period stands for a user, for GetUsage. */
export interface PeriodStatus {
  range: DayRange;
  used: UsageTotals;
  /** The effective limit (client policy, or the user's override); empty = unlimited. */
  limit: BudgetLimit;
  /** What is left of each limited quantity (never below zero). */
  remaining: BudgetLimit;
  resetsAt: Date;
}

export interface UsageStatus {
  blocked: boolean;
  daily: PeriodStatus;
  monthly: PeriodStatus;
}

const MINUTE = 60;
const DAY = 86_400;
const PERIODS: readonly BudgetPeriod[] = ['daily', 'monthly'];

/**
 * Decides, before anything is stored or the model is called, whether a request may go ahead (block →
 * model → rate limits → budget) and charges real usage after. Refusals are AppErrors: permission_denied
 * (blocked user, model outside the policy; `meta.allowed_models`) or resource_exhausted (`meta.limit` +
 * `meta.retry_after` for rate limits; `meta.budget`, `meta.resets_at`, `meta.retry_after` for budgets).
 *
 * Budgets are checked against usage already charged, so turns running at the same moment may together
 * pass a limit by what they use; the next turn is refused.
 */
export class PolicyGuard {
  readonly #deps: PolicyGuardDeps;

  constructor(deps: PolicyGuardDeps) {
    this.#deps = deps;
  }

  async admit(request: AdmissionRequest): Promise<Admission> {
    const { policy, owner } = request;
    const turn = request.turn ?? true;
    const controls = await this.#deps.ledger.controls(owner);
    if (controls.blocked) {
      throw new AppError('permission_denied', 'this user is blocked on this service', {
        meta: { blocked: 'true' },
      });
    }
    const model = resolveModel(policy, this.#deps.defaultModel, request.model);
    const consumed = await this.#consumeRates(
      rulesFor(policy, turn, request.newConversation ?? false),
      owner,
    );
    if (turn) {
      try {
        await this.#checkBudgets(owner, effectiveBudgets(policy.budgets, controls.budget));
      } catch (err) {
        // The conversation was not created, so it does not count; the attempt still counts as a turn.
        const conversations = consumed.filter(([rule]) => rule.name === 'user-conversations');
        await Promise.all(conversations.map(([rule, key]) => this.#deps.limiter.refund(rule, key)));
        throw err;
      }
    }
    return { model };
  }

  /**
   * Charges a finished turn's real usage (every model call in it: tool rounds, titles, summaries) to
   * today's ledger row. Never throws: the reply exists whatever the ledger says; a failure is logged.
   */
  async charge(
    owner: UsageOwner,
    model: string,
    usage: { inputTokens: number; outputTokens: number; audioSeconds?: number },
  ) {
    const price = this.#deps.prices[model];
    // Price per 1M tokens × tokens = millionths of the currency; per minute × minutes × 1M likewise.
    const tokenCost = price ? usage.inputTokens * price.input + usage.outputTokens * price.output : 0;
    const audioCost = price?.perMinute ? ((usage.audioSeconds ?? 0) / 60) * price.perMinute * 1_000_000 : 0;
    const amount: UsageAmount = {
      inputTokens: usage.inputTokens,
      outputTokens: usage.outputTokens,
      costMicros: Math.round(tokenCost + audioCost),
    };
    try {
      await this.#deps.ledger.charge(owner, model, utcDay(this.#deps.clock()), amount);
    } catch (err) {
      this.#deps.logger.error({ err, model, ...amount }, 'could not charge usage to the ledger');
    }
    return amount;
  }

  /** The user's usage this day and month, the limits that apply and what is left (GetUsage). */
  async status(policy: ClientPolicy, owner: UsageOwner): Promise<UsageStatus> {
    const now = this.#deps.clock();
    const [controls, person] = await Promise.all([
      this.#deps.ledger.controls(owner),
      this.#deps.people.resolve(owner),
    ]);
    const budgets = effectiveBudgets(policy.budgets, controls.budget);
    const [daily, monthly] = await Promise.all(
      PERIODS.map(async (period): Promise<PeriodStatus> => {
        const range = periodRange(period, now);
        const used = await this.#totals(person, range);
        const limit = budgets[period];
        const remaining: BudgetLimit = {};
        if (limit.tokens !== undefined) remaining.tokens = Math.max(0, limit.tokens - tokensOf(used));
        if (limit.costMicros !== undefined)
          remaining.costMicros = Math.max(0, limit.costMicros - used.costMicros);
        return { range, used, limit, remaining, resetsAt: periodEnd(period, now) };
      }),
    );
    return {
      blocked: controls.blocked !== undefined,
      daily: daily as PeriodStatus,
      monthly: monthly as PeriodStatus,
    };
  }

  /** Takes one point per rule; when one refuses, gives back what this request took and refuses. */
  async #consumeRates(rules: [RateRule, string][], owner: UsageOwner): Promise<[RateRule, string][]> {
    const consumed: [RateRule, string][] = [];
    for (const [rule, scope] of rules) {
      const key = scope === 'user' ? `${owner.clientId}\u0000${owner.userId}` : owner.clientId;
      const decision = await this.#deps.limiter.consume(rule, key);
      if (!decision.allowed) {
        await Promise.all(consumed.map(([r, k]) => this.#deps.limiter.refund(r, k)));
        throw new AppError('resource_exhausted', RATE_MESSAGES[rule.name] ?? 'rate limit reached', {
          meta: { limit: rule.name, retry_after: String(Math.ceil(decision.retryAfterMs / 1000)) },
        });
      }
      consumed.push([rule, key]);
    }
    return consumed;
  }

  /** What the person used over `range`: the sum over every identity of theirs. */
  async #totals(person: ActingIdentity, range: DayRange): Promise<UsageTotals> {
    const each = await Promise.all(
      identitiesOf(person).map(({ clientId, userId }) =>
        this.#deps.ledger.totals({ clientId, userId }, range),
      ),
    );
    const sum: UsageTotals = { inputTokens: 0, outputTokens: 0, costMicros: 0, turns: 0 };
    for (const t of each) {
      sum.inputTokens += t.inputTokens;
      sum.outputTokens += t.outputTokens;
      sum.costMicros += t.costMicros;
      sum.turns += t.turns;
    }
    return sum;
  }

  /** Budgets are the person's: looked up only when a limit applies (no lookup for unlimited clients). */
  async #checkBudgets(owner: UsageOwner, budgets: Budgets): Promise<void> {
    const now = this.#deps.clock();
    let person: ActingIdentity | undefined;
    for (const period of PERIODS) {
      const limit = budgets[period];
      if (limit.tokens === undefined && limit.costMicros === undefined) continue;
      person ??= await this.#deps.people.resolve(owner);
      const used = await this.#totals(person, periodRange(period, now));
      const over =
        limit.tokens !== undefined && tokensOf(used) >= limit.tokens
          ? 'tokens'
          : limit.costMicros !== undefined && used.costMicros >= limit.costMicros
            ? 'cost'
            : undefined;
      if (!over) continue;
      const resetsAt = periodEnd(period, now);
      throw new AppError(
        'resource_exhausted',
        `${period} ${over === 'tokens' ? 'token' : 'spending'} budget used up`,
        {
          meta: {
            budget: `${period}_${over}`,
            resets_at: resetsAt.toISOString(),
            retry_after: String(Math.ceil((resetsAt.getTime() - now.getTime()) / 1000)),
          },
        },
      );
    }
  }
}

const RATE_MESSAGES: Record<string, string> = {
  'user-turns': 'too many messages: wait a moment',
  'client-turns': 'this service is busy: wait a moment',
  'user-conversations': 'daily limit of new conversations reached',
};

/** The rate rules a request is counted against, with the scope of each rule's key. */
function rulesFor(
  policy: ClientPolicy,
  turn: boolean,
  newConversation: boolean,
): [RateRule, 'user' | 'client'][] {
  const { userTurnsPerMinute, clientTurnsPerMinute, userConversationsPerDay } = policy.rateLimits;
  const rules: [RateRule, 'user' | 'client'][] = [];
  if (turn && userTurnsPerMinute) {
    rules.push([{ name: 'user-turns', points: userTurnsPerMinute, durationSeconds: MINUTE }, 'user']);
  }
  if (turn && clientTurnsPerMinute) {
    rules.push([{ name: 'client-turns', points: clientTurnsPerMinute, durationSeconds: MINUTE }, 'client']);
  }
  if (newConversation && userConversationsPerDay) {
    rules.push([
      { name: 'user-conversations', points: userConversationsPerDay, durationSeconds: DAY },
      'user',
    ]);
  }
  return rules;
}

/** An admin's override replaces the policy's limit for each period it names. */
export function effectiveBudgets(
  policy: Budgets,
  override?: { daily?: BudgetLimit; monthly?: BudgetLimit },
): Budgets {
  return { daily: override?.daily ?? policy.daily, monthly: override?.monthly ?? policy.monthly };
}

function tokensOf(used: UsageAmount): number {
  return used.inputTokens + used.outputTokens;
}
