import type { AdminServiceTwirp, UsageRow as WireRow } from '@parley/rpc';
import { UsageGrouping } from '@parley/rpc';
import type { TwirpContext } from 'twirp-ts';
import { AppError, tooLong, ValidationError } from '../errors/app-error.ts';
import type { PolicyMetrics } from '../observability/policy-metrics.ts';
import type { People } from '../people/people.ts';
import { requireAdmin } from '../policy/client-rules.ts';
import {
  DAY,
  type DayRange,
  type UsageLedger,
  type UsageOwner,
  type UsageRow,
} from '../policy/usage-ledger.ts';
import { periodRange } from '../policy/usage-periods.ts';
import type { TurnGate } from '../turns/turn-gate.ts';
import { withErrorTranslation } from './error-translation.ts';
import { toWirePerson } from './identity-service.ts';
import { requestContext } from './request-context.ts';
import { fromWireLimit, toTimestamp, toWireTotals } from './usage-service.ts';

export interface AdminServiceDeps {
  ledger: UsageLedger;
  gate: TurnGate;
  /** Names of the configured clients: an admin may only address users of these. */
  clients: readonly string[];
  currency: string;
  clock: () => Date;
  metrics: PolicyMetrics;
  /** Linked people: listed and undone by admins. */
  people: People;
}

const MAX_FIELD = 128;
const GROUPINGS = {
  [UsageGrouping.UNSPECIFIED]: 'user',
  [UsageGrouping.CLIENT]: 'client',
  [UsageGrouping.USER]: 'user',
  [UsageGrouping.MODEL]: 'model',
  [UsageGrouping.DAY]: 'day',
} as const;

/** AdminService: usage reports and per-user controls, for admin-role keys only. */
export function createAdminService(deps: AdminServiceDeps): AdminServiceTwirp {
  const admin = (ctx: TwirpContext): string => {
    const clientId = requestContext(ctx.req).clientId;
    try {
      requireAdmin(deps.gate.policyOf(clientId));
    } catch (err) {
      deps.metrics.refused('admin_only');
      throw err;
    }
    return clientId;
  };
  return withErrorTranslation<AdminServiceTwirp>({
    async GetUsageReport(ctx, req) {
      admin(ctx);
      const by = GROUPINGS[req.groupBy];
      if (!by) throw new ValidationError('group_by', 'is not a known grouping');
      const rows = await deps.ledger.report({
        range: rangeOf(req.firstDay, req.lastDay, deps.clock),
        by,
        limit: limitOf(req.limit, 100, 1000),
        ...filterOf(req.clientId, req.userId),
      });
      return { rows: rows.map(toWireRow), currency: deps.currency };
    },

    async ListTopUsers(ctx, req) {
      admin(ctx);
      const rows = await deps.ledger.report({
        range: rangeOf(req.firstDay, req.lastDay, deps.clock),
        by: 'user',
        limit: limitOf(req.limit, 10, 100),
        ...filterOf(req.clientId, ''),
      });
      return { users: rows.map(toWireRow), currency: deps.currency };
    },

    async BlockUser(ctx, req) {
      const blockedBy = admin(ctx);
      if (req.reason.length > 500) throw tooLong('reason', 500);
      const record = { reason: req.reason, blockedAt: deps.clock(), blockedBy };
      await deps.ledger.block(userOf(req, deps.clients), record);
      return {};
    },

    async UnblockUser(ctx, req) {
      admin(ctx);
      return { wasBlocked: await deps.ledger.unblock(userOf(req, deps.clients)) };
    },

    async ListBlockedUsers(ctx, req) {
      admin(ctx);
      const blocked = await deps.ledger.blockedUsers(req.clientId || undefined);
      return {
        users: blocked.map((b) => ({
          clientId: b.clientId,
          userId: b.userId,
          reason: b.reason,
          blockedAt: toTimestamp(b.blockedAt),
          blockedBy: b.blockedBy,
        })),
      };
    },

    async SetUserBudget(ctx, req) {
      admin(ctx);
      const owner = userOf(req, deps.clients);
      if (req.clear) {
        await deps.ledger.setBudget(owner, null);
        return {};
      }
      if (!req.daily && !req.monthly) {
        throw new ValidationError('daily', 'or monthly is required (or clear)');
      }
      await deps.ledger.setBudget(owner, {
        ...(req.daily ? { daily: fromWireLimit(req.daily, 'daily') } : {}),
        ...(req.monthly ? { monthly: fromWireLimit(req.monthly, 'monthly') } : {}),
      });
      return {};
    },

    async ListLinkedPeople(ctx, req) {
      admin(ctx);
      const limit = limitOf(req.limit, 100, 1000);
      const people = await deps.people.people({ ...filterOf(req.clientId, ''), limit });
      return { people: people.map(toWirePerson) };
    },

    async UnlinkIdentity(ctx, req) {
      admin(ctx);
      return { wasLinked: await deps.people.undo(userOf(req, deps.clients)) };
    },
  });
}

/** Defaults to this month so far; both ends must be days, in order. */
function rangeOf(firstDay: string, lastDay: string, clock: () => Date): DayRange {
  const month = periodRange('monthly', clock());
  const range = { from: firstDay || month.from, to: lastDay || month.to };
  if (!DAY.test(range.from)) throw new ValidationError('first_day', 'must be YYYY-MM-DD');
  if (!DAY.test(range.to)) throw new ValidationError('last_day', 'must be YYYY-MM-DD');
  if (range.from > range.to) throw new ValidationError('first_day', 'must not be after last_day');
  return range;
}

function limitOf(requested: number, fallback: number, max: number): number {
  if (requested < 0) throw new ValidationError('limit', 'must not be negative', { max: String(max) });
  return requested === 0 ? fallback : Math.min(requested, max);
}

function filterOf(clientId: string, userId: string): { clientId?: string; userId?: string } {
  if (clientId.length > MAX_FIELD) throw tooLong('client_id', MAX_FIELD);
  if (userId.length > MAX_FIELD) throw tooLong('user_id', MAX_FIELD);
  if (userId && !clientId) throw new ValidationError('client_id', 'is required with user_id');
  return { ...(clientId ? { clientId } : {}), ...(userId ? { userId } : {}) };
}

function userOf(req: { clientId: string; userId: string }, clients: readonly string[]): UsageOwner {
  if (!req.clientId) throw new ValidationError('client_id', 'is required');
  if (!clients.includes(req.clientId)) throw new AppError('not_found', 'client not found');
  if (req.userId.length > MAX_FIELD) throw tooLong('user_id', MAX_FIELD);
  return { clientId: req.clientId, userId: req.userId };
}

function toWireRow(row: UsageRow): WireRow {
  return {
    clientId: row.clientId ?? '',
    userId: row.userId ?? '',
    model: row.model ?? '',
    day: row.day ?? '',
    totals: toWireTotals(row),
  };
}
