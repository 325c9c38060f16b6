import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';

/** Tracing for tests: what the Node SDK registers, with spans kept in memory instead of exported. */
export interface TestTracing {
  /** Finished spans, in the order they ended. */
  spans(): ReadableSpan[];
  /** The finished span named `name`; throws when there is none. */
  span(name: string): ReadableSpan;
  reset(): void;
  /** Unregisters everything, so the next test file's worker starts clean. */
  uninstall(): Promise<void>;
}

/** Registers a tracer provider, the AsyncLocalStorage context manager and the W3C propagator globally. */
export function installTestTracing(): TestTracing {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  const registered = [
    trace.setGlobalTracerProvider(provider),
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable()),
    propagation.setGlobalPropagator(new W3CTraceContextPropagator()),
  ];
  if (registered.includes(false)) throw new Error('OpenTelemetry globals were already registered');
  return {
    spans: () => exporter.getFinishedSpans(),
    span(name) {
      const found = exporter.getFinishedSpans().find((s) => s.name === name);
      if (!found) throw new Error(`no span named "${name}"`);
      return found;
    },
    reset: () => exporter.reset(),
    async uninstall() {
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}
