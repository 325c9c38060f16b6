import { type Span, type SpanOptions, SpanStatusCode, type Tracer, trace } from '@opentelemetry/api';
import { isAppError } from '../errors/app-error.ts';

/** The instrumentation scope of every span the server makes. */
export const TRACER_NAME = 'parley-server';

/**
 * The server's tracer. Looked up per use rather than at import time: the API hands out a proxy either
 * way, and this keeps module loading free of global state.
 */
export function tracer(): Tracer {
  return trace.getTracer(TRACER_NAME);
}

/**
 * Runs `fn` inside a new active span (so spans and log lines made inside it are its children), ends the
 * span, and marks it failed when `fn` throws. Without a registered SDK this costs next to nothing.
 */
export function inSpan<T>(name: string, options: SpanOptions, fn: (span: Span) => Promise<T>): Promise<T> {
  return tracer().startActiveSpan(name, options, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      markFailed(span, errorType(err), err);
      throw err;
    } finally {
      span.end();
    }
  });
}

/**
 * True inside a span that records nothing: no SDK registered (tracing off or only propagating), or a
 * trace its sampler dropped. A child span there would record nothing either (the default sampler follows
 * the parent), so a hot path may skip making one and save the span, the context switch and the promises.
 */
export function inUnrecordedSpan(): boolean {
  const span = trace.getActiveSpan();
  return span !== undefined && !span.isRecording();
}

/**
 * Sets the error status and `error.type`. Only an AppError's message (written to be shown to clients)
 * becomes the status text: other messages may carry driver or provider details.
 */
export function markFailed(span: Span, type: string, err?: unknown): void {
  span.setAttribute('error.type', type);
  span.setStatus({ code: SpanStatusCode.ERROR, message: isAppError(err) ? err.message : type });
}

/** A short, bounded name for a failure: the AppError code, else the error class name. */
export function errorType(err: unknown): string {
  if (isAppError(err)) return err.code;
  return err instanceof Error ? err.name : 'unknown';
}
