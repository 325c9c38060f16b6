import type { ServerResponse } from 'node:http';
import {
  type ContinueConversationRequest,
  ContinueConversationRequest as ContinueRequestType,
  type StartConversationRequest,
  StartConversationRequest as StartRequestType,
} from '@parley/rpc';
import { TwirpError, TwirpErrorCode, writeError } from 'twirp-ts';
import { AppError } from '../errors/app-error.ts';
import { collect, continueCall, startCall, type TurnCallDeps } from '../turns/turn-calls.ts';
import type { TurnEngine } from '../turns/turn-engine.ts';
import type { TurnEnd, TurnStarted } from '../turns/turn-event.ts';
import { toTwirpError } from './errors.ts';
import { originOf, type RequestContext } from './request-context.ts';
import { continueResponseJson, startResponseJson } from './turn-json.ts';
import { continueInput, doneOrThrow, startInput } from './turn-wire.ts';
import type { ChatServiceLimits } from './validation.ts';

// The unary turn-taking calls (StartConversation, ContinueConversation) up to their outcome, shared by
// the Twirp service (protobuf callers) and the JSON route below (JSON callers: the bot, the CLI, most
// services), which answers from the records without twirp-ts's per-call hooks and the reflection writer.

export interface UnaryTurnDeps extends TurnCallDeps {
  engine: TurnEngine;
  limits: ChatServiceLimits;
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
  const input = startInput(context.clientId, req, deps.limits);
  const call = startCall(deps, originOf(context, req.requestId), input);
  return answered(collect(deps.engine, call, context.signal));
}

export function continueTurn(
  deps: UnaryTurnDeps,
  context: RequestContext,
  req: ContinueConversationRequest,
): Promise<TurnOutcome> {
  const input = continueInput(context.clientId, req, deps.limits);
  const call = continueCall(deps, originOf(context, req.requestId), input);
  return answered(collect(deps.engine, call, context.signal));
}

async function answered(outcome: Promise<TurnOutcome | undefined>): Promise<TurnOutcome> {
  const result = await outcome;
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
