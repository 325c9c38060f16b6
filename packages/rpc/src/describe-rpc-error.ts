import { RpcError } from '@protobuf-ts/runtime-rpc';

/**
 * What went wrong, as a lower-case Twirp code (`not_found`, `unavailable`, ...), or one of the failures
 * no server reported: `unreachable` (nothing answered) and `unknown` (not an RPC failure at all).
 */
export type RpcErrorCode = string;

/** A failed call, classified once for every client; clients only choose their wording and format. */
export interface RpcErrorDescription {
  code: RpcErrorCode;
  /** One short sentence for people, made from the code and meta only: never the server's own text. */
  title: string;
  /**
   * The server's message (Twirp `msg`), or what this client observed when no Twirp error arrived. Meant
   * for people who run things (a terminal user, a log); it may be technical.
   */
  detail: string;
  /** Seconds to wait before trying again (`meta.retry_after`), when the server said so. */
  retryAfterSeconds?: number;
  /** The request field that was rejected (`meta.argument`), on `invalid_argument`. */
  argument?: string;
  /** The most characters a message may have (`meta.max_chars`), when a message was too long. */
  maxChars?: number;
  /** The budget used up (`meta.budget`: `daily_tokens`, `monthly_cost`, ...), on `resource_exhausted`. */
  budget?: string;
  /** When that budget starts afresh (`meta.resets_at`). */
  resetsAt?: Date;
  /** The user is blocked by an operator (`meta.blocked`), on `permission_denied`. */
  blocked?: boolean;
  /** The models the client may pick (`meta.allowed_models`), when it asked for another. */
  allowedModels?: string[];
  /** A file that was refused: the limit it broke, or what type it was (see docs/attachments.md). */
  attachment?: AttachmentRefusal;
  /**
   * Why a precondition failed (`meta.reason`, e.g. `model_without_vision`), on `failed_precondition`;
   * `empty` for an `invalid_argument` message with nothing in it.
   */
  reason?: string;
}

/** The meta of a refused attachment, read into numbers and lists. */
export interface AttachmentRefusal {
  /** `attachment_count`, `attachment_bytes`, `attachment_turn_bytes` or `attachment_kinds`, if a limit. */
  limit?: string;
  /** The type the file turned out to be (a type the server does not take, an unreadable PDF). */
  mediaType?: string;
  maxBytes?: number;
  maxCount?: number;
  /** The kinds the client may send (`image`, `audio`, `document`). */
  allowedKinds?: string[];
}

/** The shapes of "no server answered": undici's `fetch failed` and the Node error codes behind it. */
const UNREACHABLE = /fetch failed|ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ECONNRESET|EHOSTUNREACH|socket hang up/i;
/** How protobuf-ts reports an answer that is not a Twirp error (an HTML page from a proxy, say). */
const NOT_TWIRP = /unable to read response body|cannot read twirp error response/;
/** protobuf-ts copies only the message of a failed fetch, and gives it these transport-level codes. */
const TRANSPORT_CODES = new Set(['internal', 'unknown', 'cancelled']);

const UNREACHABLE_DETAIL = 'cannot reach the Parley server';
const TIMEOUT_DETAIL = 'the server did not answer in time';

/**
 * Turns any error from a ChatService call into a {@link RpcErrorDescription}. Copes with servers that
 * cannot be reached, deadlines, proxies that answer with non-Twirp bodies, and errors that are not RPC
 * errors at all; reads limits from meta, never from the server's text.
 */
export function describeRpcError(err: unknown): RpcErrorDescription {
  if (!isRpcError(err)) return describeLocalFailure(err);
  const code = err.code.toLowerCase();
  const message = err.message;
  if (NOT_TWIRP.test(message)) return notTwirp(message);
  if (TRANSPORT_CODES.has(code)) {
    if (/timeout|timed out/i.test(message)) return described('deadline_exceeded', TIMEOUT_DETAIL);
    const cause = (err as { cause?: unknown }).cause;
    if (UNREACHABLE.test(message) || (cause !== undefined && UNREACHABLE.test(String(cause)))) {
      return described('unreachable', UNREACHABLE_DETAIL);
    }
    if (code === 'cancelled') return described('cancelled', TITLES.cancelled ?? code);
  }
  return fromMeta(described(code, message || code), err.meta);
}

/** True for the errors a ChatService call rejects with (checked structurally, across package copies). */
export function isRpcError(err: unknown): err is RpcError {
  return err instanceof RpcError || (err instanceof Error && err.name === 'RpcError' && 'code' in err);
}

function describeLocalFailure(err: unknown): RpcErrorDescription {
  const text = err instanceof Error ? `${err.message} ${String(err.cause ?? '')}` : String(err);
  if (UNREACHABLE.test(text)) return described('unreachable', UNREACHABLE_DETAIL);
  if (err instanceof Error && err.name === 'TimeoutError')
    return described('deadline_exceeded', TIMEOUT_DETAIL);
  return described('unknown', err instanceof Error ? err.message : 'unknown error');
}

/**
 * An answer that was not a Twirp error came from something in front of the server. Twirp's spec maps
 * such HTTP statuses to codes; the ones a proxy sends when the server is away (429, 502-504, or none
 * readable) mean "try later".
 */
function notTwirp(message: string): RpcErrorDescription {
  const status = Number(/HTTP (\d{3})/.exec(message)?.[1]);
  const detail = `the server answered with something that is not a Twirp response${status ? ` (HTTP ${status})` : ''}`;
  if (status === 401) return described('unauthenticated', detail);
  if (status === 403) return described('permission_denied', detail);
  if (status === 404) return described('bad_route', detail);
  return described('unavailable', detail);
}

function described(code: RpcErrorCode, detail: string): RpcErrorDescription {
  return { code, title: TITLES[code] ?? TITLES.unknown ?? '', detail };
}

function fromMeta(description: RpcErrorDescription, meta: RpcError['meta'] | undefined): RpcErrorDescription {
  const retryAfter = positive(firstMeta(meta, 'retry_after') ?? firstMeta(meta, 'retry-after'));
  if (retryAfter !== undefined) description.retryAfterSeconds = retryAfter;
  const argument = firstMeta(meta, 'argument');
  if (argument) description.argument = argument;
  const maxChars = positive(firstMeta(meta, 'max_chars'));
  if (maxChars !== undefined && Number.isInteger(maxChars)) description.maxChars = maxChars;
  fromPolicyMeta(description, meta);
  fromAttachmentMeta(description, meta);
  description.title = titleOf(description);
  return description;
}

/** What a client policy's refusals carry: a budget and its reset, a block, the models allowed. */
function fromPolicyMeta(description: RpcErrorDescription, meta: RpcError['meta'] | undefined): void {
  const budget = firstMeta(meta, 'budget');
  if (budget) description.budget = budget;
  const resetsAt = new Date(firstMeta(meta, 'resets_at') ?? '');
  if (budget && !Number.isNaN(resetsAt.getTime())) description.resetsAt = resetsAt;
  if (firstMeta(meta, 'blocked') === 'true') description.blocked = true;
  const models = firstMeta(meta, 'allowed_models');
  if (models !== undefined) description.allowedModels = models.split(',').filter(Boolean);
}

/** What a refused attachment carries; `meta.reason` of a failed precondition. */
function fromAttachmentMeta(description: RpcErrorDescription, meta: RpcError['meta'] | undefined): void {
  const reason = firstMeta(meta, 'reason');
  if (reason) description.reason = reason;
  const limit = firstMeta(meta, 'limit');
  const byLimit = limit?.startsWith('attachment') ?? false;
  if (!byLimit && !description.argument?.startsWith('attachments')) return;
  const refusal: AttachmentRefusal = {};
  if (byLimit) refusal.limit = limit;
  const mediaType = firstMeta(meta, 'media_type');
  if (mediaType) refusal.mediaType = mediaType;
  const maxBytes = positive(firstMeta(meta, 'max_bytes'));
  if (maxBytes !== undefined) refusal.maxBytes = maxBytes;
  const maxCount = positive(firstMeta(meta, 'max_count'));
  if (maxCount !== undefined) refusal.maxCount = maxCount;
  const kinds = firstMeta(meta, 'allowed_kinds');
  if (kinds !== undefined) refusal.allowedKinds = kinds.split(',').filter(Boolean);
  description.attachment = refusal;
}

/** Titles that the meta makes more precise than the code alone. */
function titleOf(d: RpcErrorDescription): string {
  if (d.budget) {
    const [period, kind] = d.budget.split('_');
    const what = `the ${period} ${kind === 'cost' ? 'spending' : 'token'} budget is used up`;
    return d.resetsAt ? `${what}; it resets at ${d.resetsAt.toISOString().slice(0, 16)}Z` : what;
  }
  if (d.blocked) return 'this user is blocked on this service';
  if (d.allowedModels) return `that model is not allowed (allowed: ${d.allowedModels.join(', ')})`;
  if (d.code === 'invalid_argument' && d.argument === 'message') {
    if (d.reason === 'empty') return 'the message is empty';
    return d.maxChars
      ? `the message is too long (at most ${d.maxChars.toLocaleString('en-US')} characters)`
      : 'the message is empty or too long';
  }
  if (d.reason === 'model_without_vision') return 'this conversation’s model cannot see images';
  if (d.reason === 'transcription_not_configured') return 'this server cannot transcribe audio';
  if (d.attachment?.limit === 'attachment_kinds') return 'this client may not send that kind of file';
  if (d.attachment) return 'a file was refused';
  if (d.code === 'resource_exhausted' && d.retryAfterSeconds) {
    return `too many requests; try again in ${Math.ceil(d.retryAfterSeconds)} s`;
  }
  return d.title;
}

const TITLES: Record<string, string> = {
  unreachable: UNREACHABLE_DETAIL,
  deadline_exceeded: TIMEOUT_DETAIL,
  cancelled: 'the call was cancelled',
  unavailable: 'the assistant is unavailable right now; try again in a minute',
  resource_exhausted: 'too many requests; try again in a moment',
  invalid_argument: 'the request was not valid',
  malformed: 'the request could not be read',
  not_found: 'no such conversation (or it is not yours)',
  unauthenticated: 'the API key is missing or not valid',
  permission_denied: 'this client may not do that',
  failed_precondition: 'the server cannot do that right now',
  bad_route: 'the server does not offer this call',
  internal: 'the server failed with an internal error',
  unknown: 'something went wrong',
};

function firstMeta(meta: RpcError['meta'] | undefined, key: string): string | undefined {
  const value = meta?.[key];
  return Array.isArray(value) ? value[0] : value;
}

function positive(value: string | undefined): number | undefined {
  const n = Number(value);
  return value !== undefined && Number.isFinite(n) && n > 0 ? n : undefined;
}
