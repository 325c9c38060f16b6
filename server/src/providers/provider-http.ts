/**
 * HTTP for the data providers behind tools (weather, holidays): bounded in time and size, and careful that
 * the URL (which may carry an API key) never reaches an error message. Clients build their URLs from a
 * configured base; nothing here fetches a URL a model supplied.
 */

/** Why a provider call failed, as far as callers need to tell apart. */
export type ProviderFailure =
  | 'not_found'
  | 'rejected'
  | 'auth'
  | 'unavailable'
  | 'unreachable'
  | 'timeout'
  | 'too_large'
  | 'bad_response'
  | 'aborted';

/** A provider failure with a fixed, secret-free message; no cause is kept, since causes quote the URL. */
export class ProviderError extends Error {
  readonly provider: string;
  readonly kind: ProviderFailure;
  readonly status: number | undefined;
  /** The provider's own error code, when its body has one (e.g. WeatherAPI's 1006). */
  readonly providerCode: number | undefined;

  constructor(
    provider: string,
    kind: ProviderFailure,
    details: { status?: number; providerCode?: number } = {},
  ) {
    const status = details.status === undefined ? '' : ` (HTTP ${details.status})`;
    super(`${provider} request failed: ${kind}${status}`);
    this.name = 'ProviderError';
    this.provider = provider;
    this.kind = kind;
    this.status = details.status;
    this.providerCode = details.providerCode;
  }
}

export function isProviderError(err: unknown): err is ProviderError {
  return (
    err instanceof Error && err.name === 'ProviderError' && typeof (err as ProviderError).kind === 'string'
  );
}

/** Failures that say the provider is struggling: worth a retry, and counted by circuit breakers. */
export function isTransientProviderError(err: unknown): boolean {
  return isProviderError(err) && ['unavailable', 'unreachable', 'timeout'].includes(err.kind);
}

/** The failure an HTTP status stands for, before a provider looks at its own error codes. */
export function failureForStatus(status: number): ProviderFailure {
  if (status === 408 || status === 429 || status >= 500) return 'unavailable';
  if (status === 401 || status === 403) return 'auth';
  if (status === 404) return 'not_found';
  return 'rejected';
}

/** A configured base URL to resolve relative paths against: `new URL(path, base)` would drop its last segment. */
export function asDirectory(baseUrl: string): URL {
  const base = new URL(baseUrl);
  if (!base.pathname.endsWith('/')) base.pathname = `${base.pathname}/`;
  base.search = '';
  base.hash = '';
  return base;
}

export interface ProviderRequest {
  /** Names the provider in errors ('weather', 'holidays'). */
  provider: string;
  url: URL;
  timeoutMs: number;
  maxBytes: number;
  signal?: AbortSignal | undefined;
}

export interface ProviderResponse {
  status: number;
  /** Parsed JSON; undefined for an empty body (204). */
  body: unknown;
}

/** GETs JSON. Any HTTP status resolves; network trouble, timeouts, oversized or non-JSON bodies throw. */
export async function getProviderJson(request: ProviderRequest): Promise<ProviderResponse> {
  const fail = (kind: ProviderFailure, status?: number) =>
    new ProviderError(request.provider, kind, status === undefined ? {} : { status });
  const timeout = AbortSignal.timeout(request.timeoutMs);
  const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
  const failureOf = (): ProviderError =>
    fail(timeout.aborted ? 'timeout' : request.signal?.aborted ? 'aborted' : 'unreachable');
  let response: Response;
  try {
    // A redirect could carry the key to another host; the configured base is expected to answer itself.
    response = await fetch(request.url, {
      signal,
      redirect: 'error',
      headers: { accept: 'application/json' },
    });
  } catch {
    throw failureOf();
  }
  let text: string;
  try {
    text = await readCapped(response, request.maxBytes);
  } catch (err) {
    throw isProviderError(err) ? fail(err.kind, response.status) : failureOf();
  }
  if (text.trim() === '') return { status: response.status, body: undefined };
  try {
    return { status: response.status, body: JSON.parse(text) };
  } catch {
    throw fail('bad_response', response.status);
  }
}

/** Reads the body, giving up (and dropping the connection) as soon as it exceeds `maxBytes`. */
async function readCapped(response: Response, maxBytes: number): Promise<string> {
  const tooLarge = new ProviderError('provider', 'too_large');
  if (Number(response.headers.get('content-length') ?? 0) > maxBytes) {
    await response.body?.cancel().catch(() => {});
    throw tooLarge;
  }
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw tooLarge;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
