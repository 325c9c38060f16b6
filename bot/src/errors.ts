import { describeRpcError, isRpcError } from '@parley/rpc';

/** A failed call reduced to what the bot may tell a user, plus a code for logs and metrics. */
export interface UserFacingError {
  /** Lower-case Twirp code, or `unreachable` / `unknown`. */
  code: string;
  /** Short, friendly, and never the server's own text (it may be internal detail). */
  text: string;
}

const NETWORK_FAILURE = /fetch failed|ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ECONNRESET|socket hang up/i;

/** Turns any error from a ChatService call into one short sentence for the chat. */
export function describeForUser(err: unknown): UserFacingError {
  const description = describeRpcError(err);
  let code = description.code.toLowerCase();
  // The fetch transport reports a refused connection as `unknown: fetch failed`.
  if (code === 'unknown' && NETWORK_FAILURE.test(description.message)) code = 'unreachable';
  return { code, text: textFor(code, err, description.retryAfterSeconds) };
}

function textFor(code: string, err: unknown, retryAfterSeconds: number | undefined): string {
  switch (code) {
    case 'unavailable':
      return 'The assistant’s model is unavailable right now. Please try again in a minute.';
    case 'resource_exhausted':
      return retryAfterSeconds
        ? `You’re sending messages faster than I can answer. Please wait ${humanDuration(retryAfterSeconds)} and try again.`
        : 'You’re sending messages faster than I can answer. Please wait a moment and try again.';
    case 'invalid_argument':
      return invalidArgumentText(err);
    case 'unreachable':
      return 'Parley is down at the moment, so I can’t answer. Please try again later.';
    case 'unauthenticated':
    case 'permission_denied':
      return 'This bot is misconfigured: it can’t sign in to Parley. Please tell whoever runs it.';
    case 'deadline_exceeded':
      return 'That took too long to answer. Please try again.';
    case 'not_found':
      return 'That conversation no longer exists. Send a message to start a new one, or see /history.';
    default:
      return 'Something went wrong on my side. Please try again.';
  }
}

function invalidArgumentText(err: unknown): string {
  const meta = isRpcError(err) ? err.meta : {};
  const argument = metaValue(meta.argument);
  if (argument !== 'message') return 'I couldn’t process that request.';
  const limit = messageLimit(meta, isRpcError(err) ? err.message : '');
  return limit
    ? `That message is too long. Please keep it under ${limit.toLocaleString('en-US')} characters.`
    : 'That message is too long. Please send a shorter one.';
}

/**
 * The server's limit, from meta when it sends one, else the number in its validation text ("must be at
 * most 8000 characters"); only the number is used, never the text itself.
 */
function messageLimit(meta: Record<string, string | string[]>, message: string): number | undefined {
  for (const key of ['max_chars', 'max_length', 'limit']) {
    const value = Number(metaValue(meta[key]));
    if (Number.isInteger(value) && value > 0) return value;
  }
  const match = /at most (\d{1,9}) characters/.exec(message);
  return match?.[1] ? Number(match[1]) : undefined;
}

function metaValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** "45 seconds", "2 minutes", "1 hour" — rounded up, for waits. */
export function humanDuration(seconds: number): string {
  const s = Math.max(1, Math.ceil(seconds));
  if (s < 90) return `${s} second${s === 1 ? '' : 's'}`;
  const minutes = Math.ceil(s / 60);
  if (minutes < 90) return `${minutes} minutes`;
  const hours = Math.ceil(minutes / 60);
  return `${hours} hour${hours === 1 ? '' : 's'}`;
}
