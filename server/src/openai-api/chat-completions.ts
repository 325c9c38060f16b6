import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { HistoryTurns } from '../conversations/history-turns.ts';
import { ValidationError } from '../errors/app-error.ts';
import { toPublicError } from '../errors/public-error.ts';
import type { RequestContext } from '../rpc/request-context.ts';
import { relayToStream, type TurnStreamOptions } from '../rpc/sse-stream.ts';
import { historyCall } from '../turns/history-call.ts';
import { collect } from '../turns/turn-calls.ts';
import type { TurnCall, TurnEngine } from '../turns/turn-engine.ts';
import type { TurnDone, TurnEvent } from '../turns/turn-event.ts';
import type { TurnGate } from '../turns/turn-gate.ts';
import { COMPLETION_LIMITS, type CompletionRequest, parseCompletionRequest } from './completion-request.ts';
import {
  ChunkFrames,
  type CompletionOutcome,
  completionBody,
  completionId,
  errorFrame,
} from './completion-response.ts';
import type { ModelCatalog } from './models.ts';
import { type ErrorFacts, sendOpenAiError, toOpenAiError } from './openai-errors.ts';

/** The header naming the end user for clients that cannot set the request's `user` field. */
export const USER_HEADER = 'x-parley-user';
/** The response header carrying the conversation a completion was stored in. */
export const CONVERSATION_HEADER = 'x-parley-conversation-id';

export interface ChatCompletionsDeps extends TurnStreamOptions {
  engine: TurnEngine;
  gate: TurnGate;
  history: HistoryTurns;
  models: ModelCatalog;
  maxMessageChars: number;
}

/**
 * POST /v1/chat/completions: a thin adapter over the turn engine. The request becomes a history turn
 * (admission, storing, the model and tool rounds, charging all happen in the engine); the turn's events
 * become one `chat.completion`, or `chat.completion.chunk`s when the client asked to stream.
 */
export function createChatCompletions(deps: ChatCompletionsDeps) {
  return async (
    res: ServerResponse,
    context: RequestContext,
    headers: IncomingHttpHeaders,
    body: unknown,
  ) => {
    let request: CompletionRequest;
    let call: TurnCall;
    try {
      request = parseCompletionRequest(body, deps.maxMessageChars);
      call = callOf(deps, context, headers, request);
    } catch (err) {
      return fail(res, context, toPublicError(err, context.logger));
    }
    if (request.stream) return stream(deps, res, context, call, request);
    const outcome = await collect(deps.engine, call, context.signal);
    if (!outcome) return;
    if (outcome.final.type === 'error') return fail(res, context, outcome.final.error);
    const answer = outcomeOf(outcome.final, request.model);
    conversationHeader(res, outcome.final);
    res.statusCode = 200;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(completionBody(answer)));
  };
}

function callOf(
  deps: ChatCompletionsDeps,
  context: RequestContext,
  headers: IncomingHttpHeaders,
  request: CompletionRequest,
): TurnCall {
  const userId =
    request.user || headerText(headers[USER_HEADER], USER_HEADER, COMPLETION_LIMITS.maxUserChars);
  const idempotencyKey = headerText(headers['idempotency-key'], 'Idempotency-Key', 128);
  const model = deps.models.requested(request.model);
  return historyCall(
    { history: deps.history, gate: deps.gate },
    { requestId: context.requestId, idempotencyKey, logger: context.logger },
    {
      owner: { clientId: context.clientId, userId },
      messages: request.messages,
      newFrom: request.newFrom,
      ...(request.systemPrompt ? { systemPrompt: request.systemPrompt } : {}),
      ...(model ? { model } : {}),
      clientTools: request.clientTools,
      store: request.store,
    },
  );
}

/** Streams the turn: headers at its start (with the conversation id), chunks as it goes, `[DONE]`. */
async function stream(
  deps: ChatCompletionsDeps,
  res: ServerResponse,
  context: RequestContext,
  call: TurnCall,
  request: CompletionRequest,
): Promise<void> {
  await deps.engine.join(call, {
    transport: 'openai',
    signal: context.signal,
    onEvent: relayToStream(res, context, deps, {
      refuse: (error) => fail(res, context, error),
      beforeOpen: (event) => {
        if (event.type === 'started' && event.conversationId)
          res.setHeader(CONVERSATION_HEADER, event.conversationId);
      },
      frame: framesFor(request),
    }),
  });
}

/** The turn's events as OpenAI chunk frames; tool progress inside the turn is not part of OpenAI's stream. */
function framesFor(request: CompletionRequest): (event: TurnEvent) => string {
  let frames: ChunkFrames | undefined;
  const chunks = (id: string, created: number) => {
    frames ??= new ChunkFrames({ id, created, model: request.model, includeUsage: request.includeUsage });
    return frames;
  };
  // The id is the stored reply's, known at the end; the stream's chunks share one id made at its start.
  const streamId = completionId(crypto.randomUUID());
  const created = Math.floor(Date.now() / 1000);
  let told = false;
  return (event) => {
    switch (event.type) {
      case 'started':
        return chunks(streamId, created).first();
      case 'delta':
        told = true;
        return chunks(streamId, created).text(event.text);
      case 'done': {
        // A retry answered from the first call's record gets `started` and `done` only: the text too.
        const outcome = outcomeOf(event, request.model);
        const text = !told && outcome.content ? chunks(streamId, created).text(outcome.content) : '';
        return text + chunks(streamId, created).last(outcome);
      }
      case 'error':
        return errorFrame(toOpenAiError(event.error).body);
      default:
        return '';
    }
  };
}

function outcomeOf(done: TurnDone, model: string): CompletionOutcome {
  const turn = done.turn;
  if (!turn) throw new Error('a chat completion ended without a turn');
  return {
    id: completionId(turn.reply.id),
    created: Math.floor(turn.reply.createdAt.getTime() / 1000),
    model,
    content: turn.reply.content,
    toolCalls: turn.pendingToolCalls ?? [],
    usage: turn.usage,
  };
}

function conversationHeader(res: ServerResponse, done: TurnDone): void {
  if (done.conversation.id) res.setHeader(CONVERSATION_HEADER, done.conversation.id);
}

function headerText(value: string | string[] | undefined, name: string, max: number): string {
  const text = (Array.isArray(value) ? value[0] : value)?.trim() ?? '';
  if (text.length > max) {
    throw new ValidationError(name, `must be at most ${max} characters`, { max_chars: String(max) });
  }
  return text;
}

function fail(res: ServerResponse, context: RequestContext, facts: ErrorFacts): void {
  context.code = facts.code;
  sendOpenAiError(res, toOpenAiError(facts));
}
