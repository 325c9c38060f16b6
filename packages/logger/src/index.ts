import { isSpanContextValid, trace } from '@opentelemetry/api';
import { type Logger, type LoggerOptions, pino } from 'pino';

export type { Logger };

/** Paths whose values never reach a log line: secrets, and chat content. */
export const REDACT_PATHS = [
  'apiKey',
  '*.apiKey',
  'authorization',
  '*.authorization',
  'req.headers.authorization',
  'headers.authorization',
  'token',
  '*.token',
  'password',
  '*.password',
  // Chat content is never logged on purpose; these catch a `{ content }` or `{ messages }` passed by mistake.
  'content',
  '*.content',
  'messages',
  '*.messages',
];

export interface CreateLoggerOptions {
  name: string;
  level?: string;
  /** Human-readable output (default: when stdout is a terminal). */
  pretty?: boolean;
  /** Where to write; defaults to stdout. */
  destination?: NodeJS.WritableStream;
}

/**
 * A pino JSON logger with secrets redacted; pretty-printed in a terminal. Every line written while an
 * OpenTelemetry span is active carries its `trace_id` and `span_id`, so logs and traces join up.
 */
export function createLogger(options: CreateLoggerOptions): Logger {
  const config: LoggerOptions = {
    name: options.name,
    level: options.level ?? 'info',
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: { service: options.name },
    mixin: traceFields,
  };
  const pretty = options.pretty ?? (process.stdout.isTTY === true && !options.destination);
  if (pretty) {
    return pino({ ...config, transport: { target: 'pino-pretty', options: { colorize: true } } });
  }
  return options.destination ? pino(config, options.destination as pino.DestinationStream) : pino(config);
}

/** The active span's ids in the OpenTelemetry log field names; nothing outside a (valid) span. */
export function traceFields(): Record<string, string> {
  const spanContext = trace.getActiveSpan()?.spanContext();
  if (!spanContext || !isSpanContextValid(spanContext)) return {};
  return { trace_id: spanContext.traceId, span_id: spanContext.spanId };
}
