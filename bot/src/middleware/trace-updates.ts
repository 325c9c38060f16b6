import { SpanKind, trace } from '@opentelemetry/api';
import type { Context, MiddlewareFn } from 'telegraf';

/**
 * One span per update. Turns queued from inside it keep its context, so the RPC they make carries its
 * traceparent and the server's spans join the same trace (when tracing is configured; no-op otherwise).
 */
export function traceUpdates(): MiddlewareFn<Context> {
  return (ctx, next) =>
    trace.getTracer('parley-bot').startActiveSpan(
      `telegram ${ctx.updateType}`,
      {
        kind: SpanKind.CONSUMER,
        attributes: { 'messaging.system': 'telegram', 'telegram.update_type': ctx.updateType },
      },
      async (span) => {
        try {
          await next();
        } finally {
          span.end();
        }
      },
    );
}
