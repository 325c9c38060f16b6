/** A Bot API error answer, read from telegraf's TelegramError. */
export interface TelegramFailure {
  code: number;
  description: string;
  retryAfter?: number;
}

const PARSE_ERROR = /can't parse entities|unsupported start tag|can't find end tag|unexpected end tag/i;

/** Reads telegraf's TelegramError structurally (`response.error_code`, `response.parameters`). */
export function telegramFailure(err: unknown): TelegramFailure | undefined {
  if (!(err instanceof Error) || !('response' in err)) return undefined;
  const response = (err as { response?: unknown }).response as
    | { error_code?: unknown; description?: unknown; parameters?: { retry_after?: unknown } }
    | undefined;
  if (typeof response?.error_code !== 'number') return undefined;
  const failure: TelegramFailure = {
    code: response.error_code,
    description: typeof response.description === 'string' ? response.description : '',
  };
  const retryAfter = response.parameters?.retry_after;
  if (typeof retryAfter === 'number' && retryAfter >= 0) failure.retryAfter = retryAfter;
  return failure;
}

/**
 * A failure that may pass: Telegram's 5xx, or no Bot API answer at all (connection refused or reset, DNS,
 * a timeout). A network error after Telegram took the message may send it twice; losing it is worse.
 */
export function isTransient(failure: TelegramFailure | undefined): boolean {
  return failure === undefined || failure.code >= 500;
}

/** Telegram refused the markup (not the message): the same text as plain text would go through. */
export function isParseError(failure: TelegramFailure | undefined): boolean {
  return failure?.code === 400 && PARSE_ERROR.test(failure.description);
}

/** Why Telegram will take nothing more for a chat; a label value for the metrics (no ids). */
export type UnreachableReason = 'blocked' | 'kicked' | 'chat_not_found' | 'deactivated' | 'forbidden';

/**
 * The answers that are final for a chat: any 403 (the user blocked the bot, the bot was kicked or is
 * no longer a member, the user is deleted) and 400 "chat not found". Retrying cannot help, and telling
 * the chat is impossible; undefined for every other failure.
 */
export function unreachableReason(failure: TelegramFailure | undefined): UnreachableReason | undefined {
  if (!failure) return undefined;
  const { code, description } = failure;
  if (code === 400) return /chat not found/i.test(description) ? 'chat_not_found' : undefined;
  if (code !== 403) return undefined;
  if (/blocked/i.test(description)) return 'blocked';
  if (/kicked|not a member|removed/i.test(description)) return 'kicked';
  if (/deactivated/i.test(description)) return 'deactivated';
  if (/chat not found/i.test(description)) return 'chat_not_found';
  return 'forbidden';
}
