import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';

/** The part of `fetch` a client SDK (openai's `fetch` option) calls. */
export type FetchFunction = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

export interface KeepAliveFetchOptions {
  /** Used for what this transport does not handle itself (a Request input, a streamed or form body). */
  fallback?: FetchFunction;
  /** Idle sockets kept per host for the next request. */
  maxFreeSockets?: number;
}

/** A keep-alive fetch and the agents behind it. */
export interface KeepAliveFetch {
  fetch: FetchFunction;
  /** Closes the idle sockets (requests in flight finish). */
  close(): void;
}

/**
 * A fetch `init` flag (the openai SDK passes its `fetchOptions` through): the caller reads a successful
 * `text/event-stream` answer only through {@link claimNodeBody}, so its Response is made without a web
 * stream (`body` null). Any other answer (an error status, a JSON one) keeps its web body.
 */
// Typed as fetch options without the four the SDK sets itself: its `fetchOptions` takes only those, and
// passes every key on to the fetch.
export const NODE_BODY_ONLY = { parleyNodeBodyOnly: true } as unknown as Omit<
  RequestInit,
  'body' | 'headers' | 'method' | 'signal'
>;

/** The Node stream under each Response this fetch made, until its web body starts reading it or it is claimed. */
const nodeBodies = new WeakMap<Response, Readable>();

/**
 * The Node stream under a Response from a keep-alive fetch, for a reader that would rather take it than
 * the web stream (no WHATWG stream machinery per chunk). Undefined for any other Response, or once its
 * web body started reading. After this, the Response's own body never yields.
 */
export function claimNodeBody(response: Response): Readable | undefined {
  const source = nodeBodies.get(response);
  nodeBodies.delete(response);
  return source;
}

const NULL_BODY_STATUS = new Set([101, 103, 204, 205, 304]);
const REDIRECT_STATUS = new Set([301, 302, 303, 307, 308]);

/**
 * A `fetch` on node:http(s) agents that keep connections to the model endpoint open. Node's own fetch
 * (undici) runs the whole WHATWG fetch algorithm for each call; for the small JSON requests of a chat
 * turn that costs about as much CPU as the rest of the turn. This sends the request with node:http and
 * wraps the answer in a standard `Response` whose body streams (server-sent events arrive as they are
 * written, with backpressure; an abort signal ends the request and errors the body).
 *
 * Redirects are left to the fallback (the body is a string, so it can be sent again), as are inputs
 * this does not handle. Compressed answers are decoded, although none are asked for.
 */
export function createKeepAliveFetch(options: KeepAliveFetchOptions = {}): KeepAliveFetch {
  const fallback = options.fallback ?? globalThis.fetch;
  const agentOptions = { keepAlive: true, maxFreeSockets: options.maxFreeSockets ?? 256 };
  const agents = { 'http:': new http.Agent(agentOptions), 'https:': new https.Agent(agentOptions) };

  const send = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const body = init.body ?? undefined;
    if (input instanceof Request || !(body === undefined || typeof body === 'string' || isBytes(body))) {
      return fallback(input, init);
    }
    const url = input instanceof URL ? input : new URL(input);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return fallback(input, init);
    const method = (init.method ?? 'GET').toUpperCase();
    const res = await request(url, method, init, agents[url.protocol]);
    const status = res.statusCode ?? 0;
    if (REDIRECT_STATUS.has(status) && init.redirect !== 'manual' && res.headers.location) {
      res.resume();
      return fallback(input, init);
    }
    const headers = new Headers();
    for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) {
      headers.append(res.rawHeaders[i] as string, res.rawHeaders[i + 1] as string);
    }
    const hasBody = !NULL_BODY_STATUS.has(status) && method !== 'HEAD';
    if (!hasBody) res.resume();
    const source = hasBody ? decoded(res, headers) : undefined;
    const nodeOnly = source !== undefined && claimsEventStream(init, status, headers);
    const stream =
      source && !nodeOnly ? webStream(source, init.signal, () => nodeBodies.delete(response)) : null;
    const response = new Response(stream, { status, statusText: res.statusMessage ?? '', headers });
    if (source) nodeBodies.set(response, source);
    return response;
  };

  return {
    fetch: send,
    close() {
      agents['http:'].destroy();
      agents['https:'].destroy();
    },
  };
}

function request(
  url: URL,
  method: string,
  init: RequestInit,
  agent: http.Agent,
): Promise<http.IncomingMessage> {
  const headers: Record<string, string> = {};
  // The openai SDK passes a Headers already: read it rather than validate a copy.
  (init.headers instanceof Headers ? init.headers : new Headers(init.headers)).forEach((value, name) => {
    headers[name] = value;
  });
  const body = init.body as string | Uint8Array | undefined;
  return new Promise((resolve, reject) => {
    const req = (url.protocol === 'https:' ? https : http).request(url, {
      method,
      headers,
      agent,
      ...(init.signal ? { signal: init.signal } : {}),
    });
    // Like fetch: an aborted request rejects with the signal's reason.
    req.once('error', (err) => reject(init.signal?.aborted ? init.signal.reason : err));
    req.once('response', resolve);
    req.end(body);
  });
}

function claimsEventStream(init: RequestInit, status: number, headers: Headers): boolean {
  const flagged = (init as { parleyNodeBodyOnly?: boolean }).parleyNodeBodyOnly === true;
  if (!flagged || status < 200 || status > 299) return false;
  return headers.get('content-type')?.trim().toLowerCase().startsWith('text/event-stream') === true;
}

function isBytes(body: unknown): body is Uint8Array {
  return body instanceof Uint8Array;
}

/** The body as sent, decoded when the server compressed it. */
function decoded(res: http.IncomingMessage, headers: Headers): Readable {
  const encoding = headers.get('content-encoding')?.trim().toLowerCase();
  const decoder =
    encoding === 'gzip' || encoding === 'x-gzip'
      ? createGunzip()
      : encoding === 'deflate'
        ? createInflate()
        : encoding === 'br'
          ? createBrotliDecompress()
          : undefined;
  if (!decoder) return res;
  headers.delete('content-encoding');
  headers.delete('content-length');
  res.once('error', (err) => decoder.destroy(err));
  return res.pipe(decoder);
}

/**
 * A web stream over a Node stream: pauses the socket while the reader is behind. It starts reading at its
 * first pull (a high-water mark of 0), so a caller may claim the Node stream instead (claimNodeBody).
 */
function webStream(
  source: Readable,
  signal: AbortSignal | null | undefined,
  onStart: () => void,
): ReadableStream<Uint8Array> {
  let done = false;
  let started = false;
  const start = (controller: ReadableStreamDefaultController<Uint8Array>) => {
    onStart();
    const fail = (err: unknown) => {
      if (done) return;
      done = true;
      controller.error(signal?.aborted ? signal.reason : err);
    };
    source.on('data', (chunk: Buffer) => {
      if (done) return;
      controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      if ((controller.desiredSize ?? 1) <= 0) source.pause();
    });
    source.once('end', () => {
      if (done) return;
      done = true;
      controller.close();
    });
    source.once('error', fail);
    // A socket that closes before the end of the body (the server died) must not leave a reader
    // waiting forever.
    source.once('close', () => {
      if (!source.readableEnded) fail(new Error('the connection closed before the response ended'));
    });
  };
  return new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (!started) {
          started = true;
          start(controller);
        }
        source.resume();
      },
      cancel() {
        done = true;
        source.destroy();
      },
    },
    { highWaterMark: 0 },
  );
}
