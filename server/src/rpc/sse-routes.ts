import type { ServerResponse } from 'node:http';
import { ContinueConversationRequest, StartConversationRequest } from '@parley/rpc';
import { TwirpError, type TwirpErrorCode } from 'twirp-ts';
import { sendTwirpError } from './edge.ts';
import { toTwirpError } from './errors.ts';
import type { RequestContext } from './request-context.ts';
import { SseStream, type SseStreamOptions } from './sse-stream.ts';
import type { WireEvent } from './turn-events.ts';
import type { TurnHub, TurnRequest } from './turn-hub.ts';
import { continueTurn, startTurn, type TurnDeps } from './turn-requests.ts';

/** The streaming methods, by the name in `/sse/parley.chat.v1.ChatService/<name>`. */
export const SSE_METHODS = ['StartConversation', 'ContinueConversation'] as const;
export type SseMethod = (typeof SSE_METHODS)[number];

export interface SseRoutesDeps extends TurnDeps, SseStreamOptions {
  turns: TurnHub;
  /** Told when a stream opens (+1) and closes (-1). */
  onStreamsOpen?: (delta: number) => void;
}

/** The SSE route's method, or undefined for a path that names no streaming method. */
export function sseMethodOf(path: string, service: string): SseMethod | undefined {
  const [, prefix, name, method, ...rest] = path.split('/');
  if (prefix !== 'sse' || name !== service || rest.length > 0) return undefined;
  return SSE_METHODS.find((m) => m === method);
}

/**
 * Serves one streaming turn: the JSON request body (the unary request message), then the turn's events
 * as Server-Sent Events. Until the first event, failures are ordinary Twirp errors (status and JSON
 * body); after it, an `error` event ends the stream.
 */
export function createSseHandler(deps: SseRoutesDeps) {
  return async (
    res: ServerResponse,
    context: RequestContext,
    method: SseMethod,
    body: Buffer,
  ): Promise<void> => {
    let turn: TurnRequest;
    try {
      turn = prepare(deps, context, method, body);
    } catch (err) {
      return fail(res, context, toTwirpError(err, context.logger));
    }
    let stream: SseStream | undefined;
    await deps.turns.join(turn, {
      transport: 'sse',
      signal: context.signal,
      onEvent: (event: WireEvent) => {
        if (!stream) {
          if (event.oneofKind === 'error') return fail(res, context, twirpErrorOf(event.error));
          stream = new SseStream(res, deps);
          stream.open();
          deps.onStreamsOpen?.(1);
          res.once('close', () => deps.onStreamsOpen?.(-1));
        }
        if (event.oneofKind === 'error') context.code = event.error.code;
        stream.send(event);
        if (event.oneofKind === 'done' || event.oneofKind === 'error') stream.end();
      },
    });
  };
}

function prepare(deps: TurnDeps, context: RequestContext, method: SseMethod, body: Buffer): TurnRequest {
  const text = body.toString('utf8');
  if (method === 'StartConversation') return startTurn(deps, context, parse(StartConversationRequest, text));
  return continueTurn(deps, context, parse(ContinueConversationRequest, text));
}

function parse<T extends object>(
  type: { fromJsonString(json: string, options: { ignoreUnknownFields: boolean }): T },
  text: string,
): T {
  try {
    return type.fromJsonString(text || '{}', { ignoreUnknownFields: true });
  } catch {
    throw new TwirpError('malformed' as TwirpErrorCode, 'the body is not a valid JSON request message');
  }
}

function twirpErrorOf(error: { code: string; msg: string; meta: Record<string, string> }): TwirpError {
  const twirpError = new TwirpError(error.code as TwirpErrorCode, error.msg);
  for (const [key, value] of Object.entries(error.meta)) twirpError.withMeta(key, value);
  return twirpError;
}

function fail(res: ServerResponse, context: RequestContext, error: TwirpError): void {
  context.code = error.code;
  sendTwirpError(res, error.code, error.msg, undefined, error.meta);
}
