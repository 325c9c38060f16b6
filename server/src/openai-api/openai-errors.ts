import type { ServerResponse } from 'node:http';
import type { ErrorCode } from '../errors/app-error.ts';

/** An error as the server's code, text and meta (what every transport gets from the one translation). */
export interface ErrorFacts {
  code: ErrorCode | string;
  message: string;
  meta: Record<string, string>;
}

/** OpenAI's error body: `{"error": {"message", "type", "param", "code"}}`. */
export interface OpenAiErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

export interface OpenAiError {
  status: number;
  body: OpenAiErrorBody;
  /** `retry-after` (seconds) for refusals that say when to come back. */
  retryAfter?: string;
}

/**
 * One table from the server's codes to the statuses OpenAI's SDKs map to their error classes (400
 * BadRequest, 401 Authentication, 403 PermissionDenied, 404 NotFound, 409 Conflict, 429 RateLimit, 5xx
 * InternalServer), with OpenAI's `type` and `code` values where OpenAI has one.
 */
export function toOpenAiError(facts: ErrorFacts): OpenAiError {
  const { code, message, meta } = facts;
  const param = meta.argument ?? null;
  const make = (status: number, type: string, errorCode: string | null = null, p = param): OpenAiError => ({
    status,
    body: { error: { message, type, param: p, code: errorCode } },
    ...(meta.retry_after ? { retryAfter: meta.retry_after } : {}),
  });
  switch (code) {
    case 'invalid_argument':
    case 'malformed':
      // A file over a size limit: 413, as a body over the limit is.
      if (meta.limit === 'attachment_bytes' || meta.limit === 'attachment_turn_bytes')
        return make(413, 'invalid_request_error', 'file_too_large');
      return make(400, 'invalid_request_error', meta.max_bytes ? 'request_too_large' : null);
    case 'unauthenticated':
      return make(401, 'invalid_request_error', 'invalid_api_key');
    case 'permission_denied':
      // OpenAI answers a model the key may not use as an unknown one: 404 model_not_found.
      if (meta.allowed_models !== undefined)
        return make(404, 'invalid_request_error', 'model_not_found', 'model');
      return make(403, 'permission_error', meta.blocked ? 'user_blocked' : 'permission_denied');
    case 'not_found':
      return make(404, 'invalid_request_error', param === 'model' ? 'model_not_found' : 'not_found');
    case 'resource_exhausted':
      return meta.budget
        ? make(429, 'insufficient_quota', 'insufficient_quota')
        : make(429, 'rate_limit_error', 'rate_limit_exceeded');
    case 'failed_precondition':
      // Images for a model that cannot see them: OpenAI answers such a request 400.
      if (meta.reason === 'model_without_vision')
        return make(400, 'invalid_request_error', 'model_not_vision_capable');
      // Files this server cannot take (no transcription service, attachments off): a request problem.
      if (meta.reason === 'transcription_not_configured' || meta.reason === 'attachments_disabled')
        return make(400, 'invalid_request_error', 'unsupported_file');
      return make(409, 'conflict_error', 'conflict');
    case 'aborted':
      return make(409, 'conflict_error', 'conflict');
    case 'unavailable':
      return make(503, 'server_error', 'service_unavailable');
    case 'deadline_exceeded':
      return make(504, 'server_error', 'timeout');
    default:
      return make(500, 'server_error', 'internal_error', null);
  }
}

/** Writes an OpenAI error response (nothing when the response has begun: a stream ends another way). */
export function sendOpenAiError(res: ServerResponse, error: OpenAiError): void {
  if (res.headersSent) return;
  const body = JSON.stringify(error.body);
  res.statusCode = error.status;
  res.setHeader('content-type', 'application/json');
  if (error.retryAfter) res.setHeader('retry-after', error.retryAfter);
  res.end(body);
}
