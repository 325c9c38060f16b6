import { hash, randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApiKeyEntry } from '@parley/config';
import { TwirpError, TwirpErrorCode, writeError } from 'twirp-ts';

/** Thrown while reading a request body that is larger than allowed. */
export class BodyTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`request body exceeds ${limit} bytes`);
    this.name = 'BodyTooLargeError';
  }
}

interface HashedKey {
  client: string;
  digest: Buffer;
}

/**
 * Checks `Authorization: Bearer <key>` against the configured keys in constant time (every key is
 * compared, digests of equal length), returning the client name or null.
 */
export function createAuthenticator(keys: ApiKeyEntry[]): (header: string | undefined) => string | null {
  const hashed: HashedKey[] = keys.map(({ client, key }) => ({ client, digest: sha256(key) }));
  return (header) => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
    if (!match?.[1]) return null;
    const digest = sha256(match[1]);
    let found: string | null = null;
    for (const key of hashed) if (timingSafeEqual(key.digest, digest) && found === null) found = key.client;
    return found;
  };
}

function sha256(text: string): Buffer {
  return hash('sha256', text, 'buffer');
}

/**
 * twirp-ts only accepts `application/json` and `application/protobuf` by exact match; clients commonly
 * send `application/json; charset=utf-8`. Returns the bare media type Twirp expects, or null.
 */
export function normalizeContentType(header: string | undefined): string | null {
  if (!header) return null;
  const [type = '', ...params] = header.split(';').map((p) => p.trim().toLowerCase());
  if (type !== 'application/json' && type !== 'application/protobuf') return null;
  for (const param of params) {
    const [name, value] = param.split('=').map((p) => p.trim().replace(/^"|"$/g, ''));
    if (name === 'charset' && value !== 'utf-8' && value !== 'utf8') return null;
  }
  return type;
}

/** Reads the whole body, refusing (without buffering the rest) as soon as it passes `limit` bytes. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(new BodyTooLargeError(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        reject(new BodyTooLargeError(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

/**
 * Writes a Twirp error (JSON body with code, msg and meta). `status` overrides Twirp's mapping (e.g. 413).
 */
export function sendTwirpError(
  res: ServerResponse,
  code: TwirpErrorCode,
  msg: string,
  status?: number,
  meta: Record<string, string> = {},
): void {
  if (res.headersSent) return;
  const error = new TwirpError(code, msg);
  for (const [key, value] of Object.entries(meta)) error.withMeta(key, value);
  if (!status) {
    writeError(res, error);
    return;
  }
  res.statusCode = status;
  res.setHeader('content-type', 'application/json');
  res.end(error.toJSON());
}

/** How much of a refused upload is read and thrown away so its sender gets to read the 413. */
export const DRAIN_LIMITS = { bytes: 8 * 1024 * 1024, ms: 2_000 };

/**
 * Answers a request whose body we refuse to read. The error goes out at once (complete, by its
 * content-length), but the response is ended only once the rest of the upload has been read and thrown
 * away, up to {@link DRAIN_LIMITS}: a client that writes its whole body before reading (curl, most HTTP
 * libraries) then reads the error instead of a broken pipe. Past the bound the connection is cut.
 */
export function refuseBody(
  req: IncomingMessage,
  res: ServerResponse,
  limit: number,
  bounds: { bytes: number; ms: number } = DRAIN_LIMITS,
  /** The error body (JSON); a Twirp `malformed` error by default. */
  errorJson: string = twirpTooLarge(limit),
): void {
  if (res.headersSent) return;
  const body = Buffer.from(errorJson);
  res.writeHead(413, {
    'content-type': 'application/json',
    'content-length': body.length,
    // The rest of the upload is not read as a request: this connection carries no other.
    connection: 'close',
  });
  res.write(body);
  let drained = 0;
  let finished = false;
  const finish = (cut: boolean) => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    req.off('data', onData);
    res.end();
    if (cut) req.destroy();
  };
  const onData = (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > bounds.bytes) finish(true);
  };
  const timer = setTimeout(() => finish(true), bounds.ms);
  timer.unref();
  req.on('data', onData);
  req.once('end', () => finish(false));
  req.once('error', () => finish(true));
  req.resume();
}

function twirpTooLarge(limit: number): string {
  const error = new TwirpError(TwirpErrorCode.Malformed, `request body exceeds ${limit} bytes`);
  error.withMeta('max_bytes', String(limit));
  return error.toJSON();
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The caller's `x-request-id` when it is sane, otherwise a fresh one. */
export function requestIdOf(req: IncomingMessage): string {
  const header = req.headers['x-request-id'];
  return typeof header === 'string' && REQUEST_ID.test(header) ? header : randomUUID();
}
