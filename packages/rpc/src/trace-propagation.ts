import { context, propagation } from '@opentelemetry/api';
import type { RpcInterceptor } from '@protobuf-ts/runtime-rpc';

/**
 * Adds the active trace context (`traceparent`, `tracestate`) to every call, so the server's spans join
 * the caller's trace. Without an OpenTelemetry SDK in the calling process this adds nothing.
 */
export const tracePropagation: RpcInterceptor = {
  interceptUnary(next, method, input, options) {
    const carrier: Record<string, string> = {};
    propagation.inject(context.active(), carrier);
    if (Object.keys(carrier).length === 0) return next(method, input, options);
    return next(method, input, { ...options, meta: { ...options.meta, ...carrier } });
  },
};
