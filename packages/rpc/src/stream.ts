import { RpcError } from '@protobuf-ts/runtime-rpc';
import { createParser, type EventSourceMessage, type ParseError } from 'eventsource-parser';
import {
  ContinueConversationRequest,
  StartConversationRequest,
  type TurnError,
  TurnEvent,
} from './gen/parley/chat/v1/chat.ts';
import { traceHeaders } from './trace-propagation.ts';

/**
 * The Server-Sent Events routes of the streaming turns (see ChatStreamService in chat.proto): the Twirp
 * route with `/sse` in place of `/twirp`, the same JSON request body, the same API keys.
 */
export const SSE_ROUTES = {
  StartConversation: '/sse/parley.chat.v1.ChatService/StartConversation',
  ContinueConversation: '/sse/parley.chat.v1.ChatService/ContinueConversation',
} as const;

/** Options of {@link createChatStreamClient}. */
export interface ChatStreamClientOptions {
  /** The server's base URL, e.g. `http://127.0.0.1:8080`. */
  baseUrl: string;
  /** Bearer API key identifying the calling client. */
  apiKey?: string;
  /**
   * Longest wait for the first byte of the answer, in milliseconds (default 120 s, like the unary
   * client's deadline: another turn of the same conversation may hold its lock that long).
   */
  timeoutMs?: number;
  /**
   * Longest silence once the stream is open, keep-alive comments included (default 60 s; the server
   * sends a comment when it has had nothing to say for a while, so silence means a dead connection).
   */
  idleTimeoutMs?: number;
  /** Extra headers on every call. */
  headers?: Record<string, string>;
}

/** Options of one streamed call. */
export interface StreamCallOptions {
  /** Aborting closes the HTTP request; the server then stops the turn. The iterator throws `cancelled`. */
  signal?: AbortSignal;
  headers?: Record<string, string>;
}

type Req<T> = Partial<T>;

/**
 * Streaming turns: each call is an async iterable of {@link TurnEvent}s (`started`, `delta`, `tool`,
 * then `done`). Nothing is sent until iteration begins. Failures are thrown as {@link RpcError}s with
 * Twirp codes, the same shape the unary client rejects with, whether the server refused the call (an
 * HTTP error before the first event) or reported an `error` event mid-stream; leaving the loop early
 * closes the request.
 */
export interface ChatStreamClient {
  streamStartConversation(
    req: Req<StartConversationRequest>,
    opts?: StreamCallOptions,
  ): AsyncGenerator<TurnEvent, void, undefined>;
  streamContinueConversation(
    req: Req<ContinueConversationRequest>,
    opts?: StreamCallOptions,
  ): AsyncGenerator<TurnEvent, void, undefined>;
}

const BROKEN = Symbol.for('parley.brokenStream');

/**
 * True when a streamed call failed in transit, not by the server's word: no answer at all (connection
 * refused or reset), a connection lost or gone silent mid-stream, a stream that ended before `done`. The
 * turn may still be running (or finished) on the server: calling again with the same `request_id`
 * re-attaches to it and replays what was missed. False for errors the server sent and for a cancel.
 */
export function isBrokenStream(err: unknown): boolean {
  return err instanceof RpcError && (err as RpcError & { [BROKEN]?: boolean })[BROKEN] === true;
}

/** A stream broken in transit, as {@link isBrokenStream} knows it: for fakes that play a dropped stream. */
export function brokenStreamError(message = 'the stream ended before the turn finished'): RpcError {
  return broken(new RpcError(message, 'unavailable'));
}

function broken(err: RpcError): RpcError {
  if (err.code !== 'cancelled') Object.assign(err, { [BROKEN]: true });
  return err;
}

/** A single event (one `data:` field) larger than this is refused rather than buffered. */
const MAX_EVENT_BYTES = 4 * 1024 * 1024;

interface StreamCall {
  url: string;
  body: string;
  headers: Record<string, string>;
  timeoutMs: number;
  idleTimeoutMs: number;
  signal: AbortSignal | undefined;
}

export function createChatStreamClient(options: ChatStreamClientOptions): ChatStreamClient {
  const base = options.baseUrl.replace(/\/+$/, '');
  const call = (route: string, body: unknown, opts: StreamCallOptions = {}): StreamCall => ({
    url: `${base}${route}`,
    body: JSON.stringify(body),
    headers: {
      ...options.headers,
      ...opts.headers,
      ...traceHeaders(),
      ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}),
      'content-type': 'application/json',
      accept: 'text/event-stream',
    },
    timeoutMs: options.timeoutMs ?? 120_000,
    idleTimeoutMs: options.idleTimeoutMs ?? 60_000,
    signal: opts.signal,
  });
  const json = { useProtoFieldName: true } as const;
  return {
    streamStartConversation: (req, opts) =>
      streamTurn(
        call(
          SSE_ROUTES.StartConversation,
          StartConversationRequest.toJson(StartConversationRequest.create(req), json),
          opts,
        ),
      ),
    streamContinueConversation: (req, opts) =>
      streamTurn(
        call(
          SSE_ROUTES.ContinueConversation,
          ContinueConversationRequest.toJson(ContinueConversationRequest.create(req), json),
          opts,
        ),
      ),
  };
}

async function* streamTurn(call: StreamCall): AsyncGenerator<TurnEvent, void, undefined> {
  const watchdog = new Watchdog(call.signal);
  try {
    const body = await open(call, watchdog);
    yield* readEvents(body, call, watchdog);
  } finally {
    // Closes the HTTP request if the server has not: after `done`, on errors, or when the caller left.
    watchdog.dispose();
  }
}

async function open(call: StreamCall, watchdog: Watchdog): Promise<ReadableStream<Uint8Array>> {
  watchdog.arm(call.timeoutMs);
  let response: Response;
  try {
    response = await fetch(call.url, {
      method: 'POST',
      headers: call.headers,
      body: call.body,
      signal: watchdog.signal,
    });
  } catch (err) {
    throw broken(watchdog.failure(err, 'unknown'));
  }
  if (!response.ok) throw await errorFromResponse(response);
  const type = response.headers.get('content-type') ?? '';
  if (!/^text\/event-stream\b/i.test(type) || !response.body) {
    await response.body?.cancel().catch(() => undefined);
    throw new RpcError(
      `received HTTP ${response.status} as ${type || 'no content type'}, unable to read response body as an event stream`,
      'unavailable',
    );
  }
  return response.body;
}

async function* readEvents(
  body: ReadableStream<Uint8Array>,
  call: StreamCall,
  watchdog: Watchdog,
): AsyncGenerator<TurnEvent, void, undefined> {
  const pending: EventSourceMessage[] = [];
  let parseError: ParseError | undefined;
  // Comments (keep-alives) and `event:`/`id:` fields are not needed: the oneof says what an event is.
  const parser = createParser({
    onEvent: (message) => pending.push(message),
    onError: (error) => {
      parseError ??= error;
    },
    maxBufferSize: MAX_EVENT_BYTES,
  });
  const decoder = new TextDecoder();
  try {
    for await (const chunk of body) {
      // Silence is only timed while waiting on the network, not while the caller handles events.
      watchdog.disarm();
      parser.feed(decoder.decode(chunk, { stream: true }));
      if (parseError) throw new RpcError(`unable to read response body: ${parseError.message}`, 'dataloss');
      for (const message of pending.splice(0)) {
        const event = decodeEvent(message.data);
        const kind = event.event.oneofKind;
        if (kind === 'error') throw turnErrorToRpcError(event.event.error);
        // An event kind this client does not know (a newer server) is skipped, as protobuf skips fields.
        if (kind === undefined) continue;
        yield event;
        if (kind === 'done') return;
      }
      watchdog.arm(call.idleTimeoutMs);
    }
  } catch (err) {
    // Errors the server sent (an `error` event, an unreadable event) stand; the transport's are marked.
    if (err instanceof RpcError) throw err;
    throw broken(watchdog.failure(err, 'unavailable'));
  }
  throw broken(new RpcError('the stream ended before the turn finished', 'unavailable'));
}

function decodeEvent(data: string): TurnEvent {
  try {
    return TurnEvent.fromJson(JSON.parse(data), { ignoreUnknownFields: true });
  } catch {
    throw new RpcError('unable to read response body: an event is not a TurnEvent', 'dataloss');
  }
}

/** An `error` event as the RpcError a unary call would have rejected with. */
export function turnErrorToRpcError(error: TurnError): RpcError {
  const code = error.code || 'internal';
  return new RpcError(error.msg || code, code, { ...error.meta });
}

/** The same RpcError the unary Twirp transport makes of an HTTP error, so one describeRpcError fits both. */
async function errorFromResponse(response: Response): Promise<RpcError> {
  const text = await response.text().catch(() => '');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return new RpcError(`received HTTP ${response.status}, unable to read response body as json`, 'internal');
  }
  const { code, msg, meta } = (body ?? {}) as { code?: unknown; msg?: unknown; meta?: unknown };
  if (typeof code !== 'string' || typeof msg !== 'string') {
    return new RpcError('cannot read twirp error response', 'internal');
  }
  const strings: Record<string, string> = {};
  if (meta && typeof meta === 'object') {
    for (const [key, value] of Object.entries(meta)) if (typeof value === 'string') strings[key] = value;
  }
  return new RpcError(msg, code, strings);
}

/**
 * One AbortController per call, fired by the caller's signal or by silence: the first-byte timeout
 * until the answer starts, the idle timeout after each chunk.
 */
class Watchdog {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private timedOut = false;
  readonly signal = this.controller.signal;

  constructor(private readonly outer: AbortSignal | undefined) {
    if (outer?.aborted) this.controller.abort(outer.reason);
    outer?.addEventListener('abort', this.onOuterAbort, { once: true });
  }

  disarm(): void {
    clearTimeout(this.timer);
  }

  arm(ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timedOut = true;
      this.controller.abort(new Error('timeout'));
    }, ms);
  }

  /** Names a failure: the caller's cancel, our timeout, or the transport's error under `code`. */
  failure(err: unknown, code: string): RpcError {
    if (err instanceof RpcError) return err;
    if (this.outer?.aborted) return new RpcError('the call was cancelled', 'cancelled');
    if (this.timedOut) return new RpcError('the server did not answer in time', 'deadline_exceeded');
    const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
    const message = err instanceof Error ? `${err.message}${cause}` : String(err);
    const error = new RpcError(message, code);
    (error as { cause?: unknown }).cause = err;
    return error;
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.outer?.removeEventListener('abort', this.onOuterAbort);
    this.controller.abort();
  }

  private readonly onOuterAbort = () => this.controller.abort(this.outer?.reason);
}
