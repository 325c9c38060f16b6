/** The closed set of error codes the server speaks; mirrors Twirp's codes (`canceled`: the caller left). */
export type ErrorCode =
  | 'invalid_argument'
  | 'malformed'
  | 'not_found'
  | 'unauthenticated'
  | 'permission_denied'
  | 'resource_exhausted'
  | 'unavailable'
  | 'deadline_exceeded'
  | 'aborted'
  | 'canceled'
  | 'failed_precondition'
  | 'internal';

/**
 * An error whose message is meant for the client. Anything that is not an AppError reaches the client
 * only as a fixed `internal` text.
 */
export class AppError extends Error {
  readonly code: ErrorCode;
  /** Extra string metadata sent with the Twirp error (e.g. `argument`, `retry_after`). */
  readonly meta: Record<string, string>;
  constructor(
    code: ErrorCode,
    message: string,
    options: { cause?: unknown; meta?: Record<string, string> } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.meta = options.meta ?? {};
  }
}

export class NotFoundError extends AppError {
  constructor(what: string) {
    super('not_found', `${what} not found`);
    this.name = 'NotFoundError';
  }
}

/**
 * A bad request argument. `meta.argument` names it; limits travel as meta too (e.g. `max_chars`), so
 * clients need not parse the message.
 */
export class ValidationError extends AppError {
  constructor(argument: string, problem: string, meta: Record<string, string> = {}) {
    super('invalid_argument', `${argument} ${problem}`, { meta: { ...meta, argument } });
    this.name = 'ValidationError';
  }
}

export class UnavailableError extends AppError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('unavailable', message, options);
    this.name = 'UnavailableError';
  }
}

/** A text argument longer than allowed; `meta.max_chars` carries the limit. */
export function tooLong(argument: string, maxChars: number): ValidationError {
  return new ValidationError(argument, `must be at most ${maxChars} characters`, {
    max_chars: String(maxChars),
  });
}

/** Structural guard: true for AppErrors, even from another copy of this module. */
export function isAppError(err: unknown): err is AppError {
  return (
    err instanceof Error && typeof (err as AppError).code === 'string' && (err as AppError).meta !== undefined
  );
}
