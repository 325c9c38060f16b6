import type { ServerResponse } from 'node:http';
import { ContinueConversationRequest, StartConversationRequest } from '@parley/rpc';
import { TwirpError, type TwirpErrorCode } from 'twirp-ts';
import type { TurnCall, TurnEngine } from '../turns/turn-engine.ts';
import { sendTwirpError } from './edge.ts';
import { toTwirpError, twirpErrorOf } from './errors.ts';
import type { RequestContext } from './request-context.ts';
import { relayToStream, type SseStreamOptions } from './sse-stream.ts';
import { continueTurnCall, startTurnCall, type TurnRequestDeps } from './turn-wire.ts';

/** The streaming methods, by the name in `/sse/parley.chat.v1.ChatService/<name>`. */
export const SSE_METHODS = ['StartConversation', 'ContinueConversation'] as const;
export type SseMethod = (typeof SSE_METHODS)[number];

export interface SseRoutesDeps extends TurnRequestDeps, SseStreamOptions {
  engine: TurnEngine;
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
    let call: TurnCall;
    try {
      call = prepare(deps, context, method, body);
    } catch (err) {
      return fail(res, context, toTwirpError(err, context.logger));
    }
    await deps.engine.join(call, {
      transport: 'sse',
      signal: context.signal,
      onEvent: relayToStream(res, context, deps, {
        refuse: (error) => fail(res, context, twirpErrorOf(error)),
      }),
    });
  };
}

function prepare(deps: SseRoutesDeps, context: RequestContext, method: SseMethod, body: Buffer): TurnCall {
  const text = body.toString('utf8');
  if (method === 'StartConversation') {
    return startTurnCall(deps, context, parse(StartConversationRequest, text));
  }
  return continueTurnCall(deps, context, parse(ContinueConversationRequest, text));
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

function fail(res: ServerResponse, context: RequestContext, error: TwirpError): void {
  context.code = error.code;
  sendTwirpError(res, error.code, error.msg, undefined, error.meta);
}
