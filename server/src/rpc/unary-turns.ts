import type { ServerResponse } from 'node:http';
import {
  type ContinueConversationRequest,
  ContinueConversationRequest as ContinueRequestType,
  type StartConversationRequest,
  StartConversationRequest as StartRequestType,
} from '@parley/rpc';
import { TwirpError, TwirpErrorCode, writeError } from 'twirp-ts';
import { AppError } from '../errors/app-error.ts';
import { collect } from '../turns/turn-calls.ts';
import type { TurnCall, TurnEngine } from '../turns/turn-engine.ts';
import type { TurnEnd, TurnStarted } from '../turns/turn-event.ts';
import { toTwirpError } from './errors.ts';
import type { RequestContext } from './request-context.ts';
import { continueResponseJson, startResponseJson } from './turn-json.ts';
import { continueTurnCall, doneOrThrow, startTurnCall, type TurnRequestDeps } from './turn-wire.ts';

// The unary turn-taking calls (StartConversation, ContinueConversation) up to their outcome, shared by
// the Twirp service (protobuf callers) and the JSON route below (JSON callers: the bot, the CLI, most
// services), which answers from the records without twirp-ts's per-call hooks and the reflection writer.

export interface UnaryTurnDeps extends TurnRequestDeps {
  engine: TurnEngine;
}

export interface TurnOutcome {
  started?: TurnStarted;
  final: TurnEnd;
}

export function startTurn(
  deps: UnaryTurnDeps,
  context: RequestContext,
  req: StartConversationRequest,
): Promise<TurnOutcome> {
  return answered(deps, context, startTurnCall(deps, context, req));
}

export function continueTurn(
  deps: UnaryTurnDeps,
  context: RequestContext,
  req: ContinueConversationRequest,
): Promise<TurnOutcome> {
  return answered(deps, context, continueTurnCall(deps, context, req));
}

/** The call's outcome, collected for this request. */
async function answered(deps: UnaryTurnDeps, context: RequestContext, call: TurnCall): Promise<TurnOutcome> {
  const result = await collect(deps.engine, call, context.signal);
  // Only when the caller left: nobody reads this answer.
  if (!result) throw new AppError('canceled', 'the call was cancelled');
  return result;
}

export type JsonTurnMethod = 'StartConversation' | 'ContinueConversation';

const JSON_TURN_URLS: ReadonlyMap<string, JsonTurnMethod> = new Map([
  ['/twirp/parley.chat.v1.ChatService/StartConversation', 'StartConversation'],
  ['/twirp/parley.chat.v1.ChatService/ContinueConversation', 'ContinueConversation'],
]);

/** The turn-taking method a POST with this exact URL names (twirp-ts routes a URL with a query nowhere). */
export function jsonTurnMethodOf(url: string | undefined): JsonTurnMethod | undefined {
  return JSON_TURN_URLS.get(url ?? '');
}

/**
 * Serves a JSON StartConversation or ContinueConversation as twirp-ts would (same status, headers,
 * bodies and error texts; tests compare the two), with the answer written by hand (turn-json.ts).
 */
export function createJsonTurnHandler(deps: UnaryTurnDeps) {
  return async (
    res: ServerResponse,
    context: RequestContext,
    method: JsonTurnMethod,
    body: Buffer,
  ): Promise<void> => {
    context.method = method;
    let json: string;
    try {
      json = await answerJson(deps, context, method, body);
    } catch (err) {
      const error = toTwirpError(err, context.logger);
      context.code = error.code;
      if (!res.headersSent) writeError(res, error);
      return;
    }
    res.statusCode = 200;
    res.setHeader('Content-Type', 'application/json');
    res.end(json);
  };
}

async function answerJson(
  deps: UnaryTurnDeps,
  context: RequestContext,
  method: JsonTurnMethod,
  body: Buffer,
): Promise<string> {
  if (method === 'StartConversation') {
    const { final } = await startTurn(deps, context, decode(StartRequestType, body, context));
    return startResponseJson(doneOrThrow(final));
  }
  const { started, final } = await continueTurn(deps, context, decode(ContinueRequestType, body, context));
  return continueResponseJson(started, doneOrThrow(final));
}

/** Decodes like twirp-ts's JSON handlers, and refuses like them (the decoder's text logged, not sent). */
function decode<T extends object>(
  type: { fromJson(json: never, options: { ignoreUnknownFields: boolean }): T },
  body: Buffer,
  context: RequestContext,
): T {
  try {
    return type.fromJson(JSON.parse(body.toString() || '{}') as never, { ignoreUnknownFields: true });
  } catch (err) {
    context.logger.debug(
      { cause: err instanceof Error ? err.message : String(err) },
      'request body could not be decoded',
    );
    throw new TwirpError(TwirpErrorCode.Malformed, 'the json request could not be decoded');
  }
}
