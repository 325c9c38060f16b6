import { context, propagation } from '@opentelemetry/api';
import type { RpcInterceptor } from '@protobuf-ts/runtime-rpc';

/**
 * The active trace context as headers (`traceparent`, `tracestate`), so the server's spans join the
 * caller's trace. Without an OpenTelemetry SDK in the calling process this is empty.
 */
export function traceHeaders(): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier;
}

/** Adds {@link traceHeaders} to every unary call. */
export const tracePropagation: RpcInterceptor = {
  interceptUnary(next, method, input, options) {
    const carrier = traceHeaders();
    if (Object.keys(carrier).length === 0) return next(method, input, options);
    return next(method, input, { ...options, meta: { ...options.meta, ...carrier } });
  },
};
