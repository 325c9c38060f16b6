import type { Logger } from '@parley/logger';
import { TwirpError, TwirpErrorCode } from 'twirp-ts';
import { isAppError } from '../errors/app-error.ts';

const INTERNAL_MESSAGE = 'internal error';

function isTwirpError(err: unknown): err is TwirpError {
  return err instanceof TwirpError;
}

/**
 * The one translation table from server errors to what a client sees. AppErrors keep their code and
 * message; Twirp's own routing and decoding errors pass through; anything else becomes `internal` with a
 * fixed text, and its cause is logged here, once.
 */
export function toTwirpError(err: unknown, logger: Logger): TwirpError {
  if (isTwirpError(err)) return err;
  if (isAppError(err)) {
    const twirpError = new TwirpError(err.code as TwirpErrorCode, err.message);
    for (const [key, value] of Object.entries(err.meta)) twirpError.withMeta(key, value);
    if (err.code === 'internal') logger.error({ err }, 'internal error');
    return twirpError;
  }
  logger.error({ err }, 'unexpected error');
  return new TwirpError(TwirpErrorCode.Internal, INTERNAL_MESSAGE);
}
