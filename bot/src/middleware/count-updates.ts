import type { Context, MiddlewareFn } from 'telegraf';
import type { BotMetrics } from '../updates/metrics.ts';

/** What the bot did with an update, as counted in `parley_bot_updates_total{kind}`. */
export type UpdateOutcome = 'handled' | 'duplicate' | 'refused' | 'ignored';

const OUTCOME = Symbol('parley.updateOutcome');

/** Records how the update ended; middleware that stops an update says why. The last word counts. */
export function setOutcome(ctx: Context, outcome: UpdateOutcome): void {
  ctx.state[OUTCOME] = outcome;
}

/**
 * Counts every update once, after the rest of the chain ran: `handled` unless a middleware said
 * otherwise (a duplicate, a refused user, or an update that no feature claimed).
 */
export function countUpdates(metrics: BotMetrics): MiddlewareFn<Context> {
  return async (ctx, next) => {
    try {
      await next();
    } finally {
      metrics.update((ctx.state[OUTCOME] as UpdateOutcome | undefined) ?? 'handled');
    }
  };
}
