import { describeRpcError, type RpcErrorDescription } from '@parley/rpc';

/** A mistake on the command line; the CLI prints it and exits with the usage code. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export function isUsageError(err: unknown): err is UsageError {
  return err instanceof Error && err.name === 'UsageError';
}

/** What the CLI knows about the failed call, to turn a code into advice. */
export interface ErrorHints {
  serverUrl: string;
  conversationId?: string | undefined;
}

const MAX_MESSAGE = 300;

/** One line for stderr, `parley: <message> (<hint>)`, whatever the error was. */
export function formatRpcError(err: unknown, hints: ErrorHints): string {
  const { code, message, retryAfterSeconds } = describe(err);
  const text = oneLine(message);
  switch (code) {
    case 'unreachable':
      return `parley: ${text} (is the server running at ${hints.serverUrl}? start it with npm start)`;
    case 'unauthenticated':
      return `parley: ${text} (set PARLEY_API_KEY or --api-key)`;
    case 'not_found':
      return hints.conversationId
        ? `parley: no conversation ${hints.conversationId} (or it is not yours)`
        : `parley: ${text}`;
    case 'resource_exhausted': {
      const wait = retryAfterSeconds ? `try again in ${Math.ceil(retryAfterSeconds)}s` : 'try again later';
      return `parley: ${text} (${wait})`;
    }
    case 'internal':
      // The server sends a fixed text for internal errors and logs the cause; say where to look.
      return 'parley: the server failed with an internal error (see its log)';
    case 'unknown':
      return `parley: unexpected error: ${text}`;
    default:
      return `parley: ${text}`;
  }
}

/** Errors after which an interactive chat cannot go on: nothing will work until the user fixes them. */
export function isFatalInChat(err: unknown): boolean {
  const { code } = describe(err);
  return code === 'unreachable' || code === 'unauthenticated';
}

const NETWORK_FAILURE = /fetch failed|ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ECONNRESET|socket hang up/i;

/**
 * describeRpcError, plus the shape the Twirp fetch transport gives a refused connection: code `UNKNOWN`
 * with `fetch failed` and no cause, which would otherwise read as an unexpected error.
 */
function describe(err: unknown): RpcErrorDescription {
  const description = describeRpcError(err);
  const code = description.code.toLowerCase();
  if (code === 'unknown' && NETWORK_FAILURE.test(description.message)) {
    return { code: 'unreachable', message: 'cannot reach the Parley server' };
  }
  return { ...description, code };
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim() || 'unknown error';
  return flat.length > MAX_MESSAGE ? `${flat.slice(0, MAX_MESSAGE - 1)}…` : flat;
}
