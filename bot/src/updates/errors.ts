import { describeRpcError, type RpcErrorDescription } from '@parley/rpc';

/** A failed call reduced to what the bot may tell a user, plus a code for logs and metrics. */
export interface UserFacingError {
  /** Lower-case Twirp code, or `unreachable` / `unknown` (see `describeRpcError`). */
  code: string;
  /** Short, friendly, and never the server's own text (it may be internal detail). */
  text: string;
}

/**
 * Turns any error from a ChatService call into one short sentence for the chat. `describeRpcError`
 * classifies the failure; this only picks the bot's wording for it.
 */
export function describeForUser(err: unknown): UserFacingError {
  const description = describeRpcError(err);
  const { code, retryAfterSeconds, argument, maxChars } = description;
  const refusal = policyRefusal(description);
  if (refusal) return { code, text: refusal };
  switch (code) {
    case 'unavailable':
      return { code, text: 'The assistant’s model is unavailable right now. Please try again in a minute.' };
    case 'resource_exhausted':
      return {
        code,
        text: retryAfterSeconds
          ? `You’re sending messages faster than I can answer. Please wait ${humanDuration(retryAfterSeconds)} and try again.`
          : 'You’re sending messages faster than I can answer. Please wait a moment and try again.',
      };
    case 'invalid_argument':
      return { code, text: argument === 'message' ? tooLong(maxChars) : 'I couldn’t process that request.' };
    case 'unreachable':
      return { code, text: 'Parley is down at the moment, so I can’t answer. Please try again later.' };
    case 'unauthenticated':
    case 'permission_denied':
      return {
        code,
        text: 'This bot is misconfigured: it can’t sign in to Parley. Please tell whoever runs it.',
      };
    case 'deadline_exceeded':
      return { code, text: 'That took too long to answer. Please try again.' };
    case 'not_found':
      return {
        code,
        text: 'That conversation no longer exists. Send a message to start a new one, or see /history.',
      };
    default:
      return { code, text: 'Something went wrong on my side. Please try again.' };
  }
}

/** The client policy's refusals: a used-up budget, a blocked user, a model outside the allowed ones. */
function policyRefusal(d: RpcErrorDescription): string | undefined {
  if (d.code === 'resource_exhausted' && d.budget) {
    const period = d.budget.startsWith('monthly') ? 'this month’s' : 'today’s';
    const wait = d.resetsAt ? (d.resetsAt.getTime() - Date.now()) / 1000 : 0;
    const when = wait > 0 ? ` It resets in ${humanDuration(wait)}.` : '';
    return `You’ve used up ${period} allowance.${when} See /usage.`;
  }
  if (d.code !== 'permission_denied') return undefined;
  if (d.blocked) return 'Sorry, the assistant isn’t available to you at the moment.';
  if (d.allowedModels) return 'That model isn’t available here. See /model for the ones you can use.';
  return undefined;
}

/** The server rejects a message that is empty or too long; the bot never sends an empty one. */
function tooLong(maxChars: number | undefined): string {
  return maxChars
    ? `That message is too long. Please keep it under ${maxChars.toLocaleString('en-US')} characters.`
    : 'That message is too long. Please send a shorter one.';
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
