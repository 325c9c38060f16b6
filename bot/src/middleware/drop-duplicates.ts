import type { Logger } from '@parley/logger';
import type { Context, MiddlewareFn } from 'telegraf';
import { RecentIds } from '../telegram/recent-ids.ts';
import { setOutcome } from './count-updates.ts';

/**
 * Answers a redelivered update once: Telegram may deliver an update again (a webhook answered late, a
 * poll whose offset was not confirmed). The server dedupes turns by request id as well; this saves the
 * round trip and the second reply.
 */
export function dropDuplicates(logger: Logger, capacity = 10_000): MiddlewareFn<Context> {
  const seen = new RecentIds(capacity);
  return (ctx, next) => {
    if (seen.add(ctx.update.update_id)) return next();
    setOutcome(ctx, 'duplicate');
    logger.info({ updateId: ctx.update.update_id }, 'ignored a redelivered update');
  };
}
