import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Context, propagation, ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import { TwirpErrorCode } from 'twirp-ts';
import { markFailed, tracer } from '../tracing/spans.ts';
import type { ParleyMetrics } from './metrics.ts';

const TWIRP_CODES = new Set<string>(Object.values(TwirpErrorCode));

/** Codes that mean the server failed (as for gRPC server spans); the rest are the caller's mistakes. */
const SERVER_FAULTS = new Set<string>([
  TwirpErrorCode.Unknown,
  TwirpErrorCode.Internal,
  TwirpErrorCode.Unavailable,
  TwirpErrorCode.DeadlineExceeded,
  TwirpErrorCode.Unimplemented,
  TwirpErrorCode.DataLoss,
]);

/** One RPC in flight: the context to run it in (its server span active) and how to finish it. */
export interface RpcCall {
  readonly method: string;
  readonly context: Context;
  /** Records the metrics and ends the span; `code` is a Twirp code or `ok`. */
  finish(code: string, httpStatus: number): void;
}

/**
 * The RPC edge's telemetry: a server span per call (joining the caller's trace from a W3C `traceparent`
 * header) and the request counter and latency histogram. Label values are bounded: `method` is one of the
 * service's methods or `unknown`, `code` a Twirp code.
 */
export class RpcTelemetry {
  readonly #metrics: ParleyMetrics;
  readonly #service: string;
  readonly #methods: ReadonlySet<string>;

  /** `service` is the fully-qualified name (`parley.chat.v1.ChatService`), `methods` its method names. */
  constructor(deps: { metrics: ParleyMetrics; service: string; methods: readonly string[] }) {
    this.#metrics = deps.metrics;
    this.#service = deps.service;
    this.#methods = new Set(deps.methods);
  }

  /** The method a `/twirp/<service>/<method>` path names, or `unknown` (a bad route makes no new series). */
  methodOf(path: string): string {
    const [, prefix, service, method, ...rest] = path.split('/');
    const known = prefix === 'twirp' && service === this.#service && rest.length === 0;
    return known && method !== undefined && this.#methods.has(method) ? method : 'unknown';
  }

  start(req: IncomingMessage, method: string): RpcCall {
    const parent = propagation.extract(ROOT_CONTEXT, req.headers);
    const span = tracer().startSpan(
      `${this.#service}/${method}`,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'rpc.system': 'twirp',
          'rpc.system.name': 'twirp',
          'rpc.service': this.#service,
          'rpc.method': method,
        },
      },
      parent,
    );
    const started = performance.now();
    const metrics = this.#metrics;
    return {
      method,
      context: trace.setSpan(parent, span),
      finish(code, httpStatus) {
        const seconds = (performance.now() - started) / 1000;
        metrics.rpcRequests.inc({ method, code });
        metrics.rpcDuration.observe({ method, code }, seconds);
        span.setAttributes({ 'rpc.status_code': code, 'http.response.status_code': httpStatus });
        if (SERVER_FAULTS.has(code)) markFailed(span, code);
        span.end();
      },
    };
  }
}

/**
 * The Twirp code of a finished exchange: the one the edge or twirp-ts recorded, else `canceled` when the
 * caller went away before the response was complete, else derived from the HTTP status.
 */
export function finalCode(recorded: string | undefined, res: ServerResponse): string {
  if (recorded && TWIRP_CODES.has(recorded)) return recorded;
  if (!res.writableFinished) return TwirpErrorCode.Canceled;
  if (res.statusCode === 200) return 'ok';
  return res.statusCode >= 500 ? TwirpErrorCode.Internal : TwirpErrorCode.Unknown;
}
