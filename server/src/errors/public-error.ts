import type { Logger } from '@parley/logger';
import { type ErrorCode, isAppError } from './app-error.ts';

/** An error as a client may see it: code, message and meta, never internal text. */
export interface PublicError {
  code: ErrorCode;
  message: string;
  meta: Record<string, string>;
}

const INTERNAL_MESSAGE = 'internal error';

/**
 * The one translation table from server errors to what a client sees. AppErrors keep their code, message
 * and meta; anything else becomes `internal` with a fixed text, and its cause is logged here, once.
 * Transports (Twirp, SSE, the OpenAI front door) only re-shape the result.
 */
export function toPublicError(err: unknown, logger: Logger): PublicError {
  if (isAppError(err)) {
    if (err.code === 'internal') logger.error({ err }, 'internal error');
    return { code: err.code, message: err.message, meta: { ...err.meta } };
  }
  logger.error({ err }, 'unexpected error');
  return { code: 'internal', message: INTERNAL_MESSAGE, meta: {} };
}
