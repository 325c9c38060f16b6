import { context, propagation } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';

type Env = Record<string, string | undefined>;

/**
 * `export`: spans are recorded and exported as the `OTEL_*` variables say. `propagate`: nothing is
 * exported, but an incoming `traceparent` is still honoured so the caller's trace id appears in our log
 * lines. `off`: `OTEL_SDK_DISABLED=true`, OpenTelemetry is not touched at all.
 */
export type TracingMode = 'export' | 'propagate' | 'off';

export interface Tracing {
  readonly mode: TracingMode;
  /** Flushes spans still queued for export; call once, on shutdown. */
  shutdown(): Promise<void>;
}

/**
 * Tracing is opt-in: exporting starts only when an exporter or an OTLP endpoint is configured, so a
 * server without a collector does not retry sends to localhost:4318 forever.
 */
export function tracingMode(env: Env): TracingMode {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return 'off';
  const exporters = (env.OTEL_TRACES_EXPORTER ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  if (exporters.includes('none')) return 'propagate';
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  return exporters.length > 0 || endpoint ? 'export' : 'propagate';
}

/**
 * Starts tracing before the server is built. In `export` mode this is the OpenTelemetry Node SDK
 * configured from the standard variables (exporter, endpoint, protocol, headers, sampler, resource;
 * service name `parley-server` unless OTEL_SERVICE_NAME says otherwise); metrics and logs stay with
 * Prometheus and pino. The SDK reads `process.env` itself, so pass the same environment here.
 */
export async function startTracing(env: Env, serviceName = 'parley-server'): Promise<Tracing> {
  const mode = tracingMode(env);
  if (mode === 'off') return { mode, shutdown: async () => {} };
  if (mode === 'propagate') {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    return { mode, shutdown: async () => {} };
  }
  // Loaded only when exporting: the SDK pulls in every exporter and costs start-up time otherwise.
  const [{ startNodeSdk }, { defaultResource, resourceFromAttributes }] = await Promise.all([
    import('@opentelemetry/sdk-node'),
    import('@opentelemetry/resources'),
  ]);
  const sdk = startNodeSdk({
    // The lowest-priority resource: OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES still win.
    baseResource: defaultResource().merge(resourceFromAttributes({ 'service.name': serviceName })),
    metricReaders: [],
    logRecordProcessors: [],
  });
  return { mode, shutdown: () => sdk.shutdown() };
}
