import {
  BrokenCircuitError,
  DelegateBackoff,
  type IBackoff,
  type IBackoffFactory,
  type IRetryBackoffContext,
  IsolatedCircuitError,
} from 'cockatiel';
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import { AppError, isAppError, UnavailableError } from '../errors/app-error.ts';
import { IncompleteAnswerError } from './openai-stream.ts';

/** What a client is told; never the provider's own text. */
export const MESSAGES = {
  open: 'the model is unavailable right now; try again shortly',
  timeout: 'the model did not answer in time',
  unreachable: 'the model endpoint cannot be reached',
  credentials: "the model endpoint rejected the server's credentials",
  rateLimited: 'the model is rate limited; try again shortly',
  rejected: 'the model rejected the request',
  cancelled: 'the request was cancelled',
  brokeOff: "the model's answer broke off part-way; try again",
} as const;

/**
 * A streamed attempt that failed after text was already told to the caller: not retried (the text would
 * be told twice), though its cause still counts against the provider's circuit.
 */
export class StreamBrokenError extends Error {
  constructor(cause: unknown) {
    super('the model stream broke off', { cause });
    this.name = 'StreamBrokenError';
  }
}

export interface ModelFailure {
  error: AppError;
  /** Operator problems are errors; a caller's own abort or an open circuit only debug (logged already). */
  level: 'debug' | 'warn' | 'error';
}

/**
 * A model call's failure as a client-safe AppError, keeping the original as `cause`, with the level to
 * log it at. `unavailableMessage` replaces the generic text of an `unavailable` outcome.
 */
export function toModelFailure(
  err: unknown,
  signal: AbortSignal | undefined,
  unavailableMessage: string = MESSAGES.open,
): ModelFailure {
  const status = err instanceof APIError ? err.status : undefined;
  const failure = (level: ModelFailure['level'], error: AppError): ModelFailure => ({ error, level });
  if (isAppError(err)) return failure('warn', err);
  if (err instanceof APIUserAbortError || signal?.aborted) {
    // The turn's own deadline aborts with a TimeoutError; a client that left aborts with anything else.
    if (isTimeout(signal?.reason)) {
      return failure('debug', new AppError('deadline_exceeded', MESSAGES.timeout, { cause: err }));
    }
    return failure('debug', new AppError('aborted', MESSAGES.cancelled, { cause: err }));
  }
  // Logged with its cause when the circuit opened; one line per fast failure would only be noise.
  if (err instanceof BrokenCircuitError || err instanceof IsolatedCircuitError) {
    return failure('debug', new UnavailableError(MESSAGES.open, { cause: err }));
  }
  if (err instanceof APIConnectionTimeoutError) {
    return failure('warn', new AppError('deadline_exceeded', MESSAGES.timeout, { cause: err }));
  }
  if (err instanceof APIConnectionError) {
    return failure('warn', new UnavailableError(MESSAGES.unreachable, { cause: err }));
  }
  // An operator has to fix these (key, permissions, model name); retrying or the user cannot.
  if (status === 401 || status === 403) {
    return failure('error', new UnavailableError(MESSAGES.credentials, { cause: err }));
  }
  if (status === 404) return failure('error', new UnavailableError(MESSAGES.open, { cause: err }));
  if (status === 429) {
    const wait = retryAfterMs(err);
    const meta: Record<string, string> =
      wait === undefined ? {} : { retry_after: String(Math.ceil(wait / 1000)) };
    return failure('warn', new AppError('resource_exhausted', MESSAGES.rateLimited, { cause: err, meta }));
  }
  if (status === 400 || status === 422) {
    return failure('warn', new AppError('failed_precondition', MESSAGES.rejected, { cause: err }));
  }
  return failure('warn', new UnavailableError(unavailableMessage, { cause: err }));
}

/** Failures worth retrying and counting against the provider: it may well answer a moment later. */
export function isTransient(err: unknown): boolean {
  if (err instanceof StreamBrokenError) return isTransient(err.cause);
  if (err instanceof APIConnectionError || err instanceof IncompleteAnswerError) return true;
  const status = err instanceof APIError ? err.status : undefined;
  return status !== undefined && (status === 408 || status === 409 || status === 429 || status >= 500);
}

function isTimeout(reason: unknown): boolean {
  return reason instanceof Error && reason.name === 'TimeoutError';
}

/** The wait the provider asked for: `retry-after-ms`, else `retry-after` in seconds or as an HTTP date. */
export function retryAfterMs(err: unknown, now = Date.now()): number | undefined {
  if (!(err instanceof APIError) || !err.headers) return undefined;
  const ms = Number.parseFloat(err.headers.get('retry-after-ms') ?? '');
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const value = err.headers.get('retry-after')?.trim();
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return seconds >= 0 ? seconds * 1000 : undefined;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * Waits as long as the failed attempt's `retry-after` says, else the next exponential step. Cockatiel
 * hands the backoff the failure in `context.result`; the exponential state advances either way.
 */
export function retryAfterOr(exponential: IBackoffFactory<unknown>) {
  return new DelegateBackoff<IRetryBackoffContext<unknown>, IBackoff<unknown>>((context, previous) => {
    const step = previous ? previous.next(context) : exponential.next(context);
    const hinted = 'error' in context.result ? retryAfterMs(context.result.error) : undefined;
    return { delay: hinted ?? step.duration, state: step };
  });
}
