import type { Logger } from '@parley/logger';
import { TwirpError, type TwirpErrorCode } from 'twirp-ts';
import { type PublicError, toPublicError } from '../errors/public-error.ts';

function isTwirpError(err: unknown): err is TwirpError {
  return err instanceof TwirpError;
}

/**
 * A server error as a Twirp error: Twirp's own routing and decoding errors pass through; everything else
 * goes through {@link toPublicError} (no internal text reaches a client).
 */
export function toTwirpError(err: unknown, logger: Logger): TwirpError {
  if (isTwirpError(err)) return err;
  return twirpErrorOf(toPublicError(err, logger));
}

export function twirpErrorOf(error: PublicError): TwirpError {
  const twirpError = new TwirpError(error.code as TwirpErrorCode, error.message);
  for (const [key, value] of Object.entries(error.meta)) twirpError.withMeta(key, value);
  return twirpError;
}
