import { describeRpcError } from '@parley/rpc';

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
  /** The call was an admin command: permission_denied means the key is not an admin's. */
  admin?: boolean;
}

const MAX_MESSAGE = 300;

/**
 * One line for stderr, `parley: <message> (<hint>)`, whatever the error was. `describeRpcError`
 * classifies the failure; a terminal user sees the server's own words plus advice on what to do.
 */
export function formatRpcError(err: unknown, hints: ErrorHints): string {
  const { code, title, detail, retryAfterSeconds, resetsAt } = describeRpcError(err);
  const text = oneLine(detail);
  switch (code) {
    case 'unreachable':
      return `parley: ${title} (is the server running at ${hints.serverUrl}? start it with npm start)`;
    case 'unauthenticated':
      return `parley: ${text} (set PARLEY_API_KEY or --api-key)`;
    case 'not_found':
      return hints.conversationId
        ? `parley: no conversation ${hints.conversationId} (or it is not yours)`
        : `parley: ${text}`;
    case 'permission_denied':
      return hints.admin
        ? 'parley: this API key may not use admin commands (its client needs the admin role: ADMIN_CLIENTS or role: admin in POLICY_FILE)'
        : `parley: ${text}`;
    case 'resource_exhausted': {
      if (resetsAt) return `parley: ${title}`;
      const wait = retryAfterSeconds ? `try again in ${Math.ceil(retryAfterSeconds)}s` : 'try again later';
      return `parley: ${text} (${wait})`;
    }
    case 'internal':
      // The server sends a fixed text for internal errors and logs the cause; say where to look.
      return `parley: ${title} (see its log)`;
    case 'unknown':
      return `parley: unexpected error: ${text}`;
    default:
      return `parley: ${text}`;
  }
}

/** Errors after which an interactive chat cannot go on: nothing will work until the user fixes them. */
export function isFatalInChat(err: unknown): boolean {
  const { code } = describeRpcError(err);
  return code === 'unreachable' || code === 'unauthenticated';
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim() || 'unknown error';
  return flat.length > MAX_MESSAGE ? `${flat.slice(0, MAX_MESSAGE - 1)}…` : flat;
}
