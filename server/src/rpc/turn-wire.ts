import {
  type ContinueConversationRequest,
  ContinueConversationResponse,
  type StartConversationRequest,
  StartConversationResponse,
  ToolPhase,
  type TurnDone as WireDone,
  type TurnStarted as WireStarted,
  TurnEvent as WireTurnEvent,
} from '@parley/rpc';
import {
  type ContinueTurnInput,
  continueCall,
  type StartTurnInput,
  startCall,
  type TurnCallDeps,
} from '../turns/turn-calls.ts';
import type { TurnCall } from '../turns/turn-engine.ts';
import type { TurnDone, TurnEnd, TurnEvent, TurnStarted } from '../turns/turn-event.ts';
import { twirpErrorOf } from './errors.ts';
import { originOf, type RequestContext } from './request-context.ts';
import { doneEventJson, startedEventJson } from './turn-json.ts';
import {
  type ChatServiceLimits,
  chatOf,
  languageOf,
  optionalText,
  ownerOf,
  validId,
  validMessage,
} from './validation.ts';
import { toWireConversation, toWireMessage, toWireUsage } from './wire.ts';

// The turn engine's requests and events in their protobuf form: requests checked into domain input and
// the engine's calls, events out as `TurnEvent`s (SSE frames) and unary responses.

const JSON_OPTIONS = { useProtoFieldName: true } as const;

export type WireEvent = WireTurnEvent['event'];

/** What a turn's call is built from besides the request: the use cases, the gate and the limits. */
export interface TurnRequestDeps extends TurnCallDeps {
  limits: ChatServiceLimits;
}

/** The engine's call for this caller's StartConversation request (checked: throws invalid_argument). */
export function startTurnCall(
  deps: TurnRequestDeps,
  context: RequestContext,
  req: StartConversationRequest,
): TurnCall {
  const input = startInput(context.clientId, req, deps.limits);
  return startCall(deps, originOf(context, req.requestId), input);
}

/** The engine's call for this caller's ContinueConversation request (checked: throws invalid_argument). */
export function continueTurnCall(
  deps: TurnRequestDeps,
  context: RequestContext,
  req: ContinueConversationRequest,
): TurnCall {
  const input = continueInput(context.clientId, req, deps.limits);
  return continueCall(deps, originOf(context, req.requestId), input);
}

/** Checks a StartConversation request (throwing invalid_argument) into the engine's input. */
export function startInput(
  clientId: string,
  req: StartConversationRequest,
  limits: ChatServiceLimits,
): StartTurnInput {
  const owner = ownerOf(clientId, req.session);
  const message = req.message.trim() ? validMessage(req.message, limits) : undefined;
  const chat = chatOf(req.session);
  const systemPrompt = optionalText(req.systemPrompt, 'system_prompt', limits.maxMessageChars);
  const model = optionalText(req.model, 'model', 100);
  const language = languageOf(req.session);
  return {
    owner,
    ...(chat ? { chat } : {}),
    ...(language ? { language } : {}),
    ...(message ? { message } : {}),
    ...(systemPrompt ? { systemPrompt } : {}),
    ...(model ? { model } : {}),
    ...(req.attachments.length > 0 ? { uploads: req.attachments } : {}),
  };
}

/** Checks a ContinueConversation request (throwing invalid_argument) into the engine's input. */
export function continueInput(
  clientId: string,
  req: ContinueConversationRequest,
  limits: ChatServiceLimits,
): ContinueTurnInput {
  const owner = ownerOf(clientId, req.session);
  const uploads = req.attachments;
  // A message with files may have no text (a photo without a caption, a voice note).
  const message = uploads.length > 0 && !req.message.trim() ? '' : validMessage(req.message, limits);
  const conversationId = req.conversationId ? validId(req.conversationId, 'conversation_id') : undefined;
  const chat = chatOf(req.session);
  const language = languageOf(req.session);
  return {
    owner,
    message,
    ...(conversationId ? { conversationId } : {}),
    ...(chat ? { chat } : {}),
    ...(language ? { language } : {}),
    ...(uploads.length > 0 ? { uploads } : {}),
  };
}

/** An engine event as the `TurnEvent` a client receives. */
export function toWireEvent(event: TurnEvent): WireEvent {
  switch (event.type) {
    case 'started': {
      const started: WireStarted = { conversationId: event.conversationId, newConversation: event.isNew };
      if (event.userMessage) started.userMessage = toWireMessage(event.userMessage);
      return { oneofKind: 'started', started };
    }
    case 'delta':
      return { oneofKind: 'delta', delta: { text: event.text } };
    case 'tool': {
      const { tool } = event;
      return {
        oneofKind: 'tool',
        tool: {
          phase: event.phase === 'started' ? ToolPhase.STARTED : ToolPhase.FINISHED,
          id: tool.id,
          name: tool.name,
          arguments: tool.arguments,
          result: tool.result ?? '',
          isError: tool.isError ?? false,
          provenance: tool.provenance,
        },
      };
    }
    case 'done':
      return { oneofKind: 'done', done: wireDone(event) };
    case 'error': {
      const { code, message, meta } = event.error;
      return { oneofKind: 'error', error: { code, msg: message, meta: { ...meta } } };
    }
  }
}

/**
 * The event as one Server-Sent Events frame: `event: <kind>` and the `TurnEvent`'s proto JSON as `data:`.
 * Deltas (most of a stream), `started` and `done` are written by hand: the same JSON, held to the proto
 * writer by tests.
 */
export function sseFrame(event: TurnEvent): string {
  if (event.type === 'delta') return deltaFrame(event.text);
  // Once per turn each, written by hand too (turn-json.ts).
  if (event.type === 'started') return `event: started\ndata: ${startedEventJson(event)}\n\n`;
  if (event.type === 'done') return `event: done\ndata: ${doneEventJson(event)}\n\n`;
  const wire = toWireEvent(event);
  return `event: ${wire.oneofKind}\ndata: ${WireTurnEvent.toJsonString({ event: wire }, JSON_OPTIONS)}\n\n`;
}

/** A `delta` frame, written by hand: the same JSON as the protobuf writer's (a test holds it to that). */
export function deltaFrame(text: string): string {
  return `event: delta\ndata: {"delta":{"text":${JSON.stringify(text)}}}\n\n`;
}

function wireDone(event: TurnDone): WireDone {
  const { turn } = event;
  const done: WireDone = {
    conversation: toWireConversation(turn?.conversation ?? event.conversation),
    toolsUsed: [],
  };
  if (turn) {
    done.reply = toWireMessage(turn.reply);
    done.usage = toWireUsage(turn.usage);
    done.toolsUsed = turn.toolsUsed;
  }
  return done;
}

/** The unary answer of a turn, from its `started` and `done` (or the Twirp error of its `error`). */
export function continueResponse(
  started: TurnStarted | undefined,
  final: TurnEnd,
): ContinueConversationResponse {
  const done = wireDone(doneOrThrow(final));
  return ContinueConversationResponse.create({
    conversationId: done.conversation?.id ?? '',
    ...(done.reply ? { reply: done.reply } : {}),
    ...(done.usage ? { usage: done.usage } : {}),
    toolsUsed: done.toolsUsed,
    newConversation: started?.isNew ?? false,
  });
}

export function startResponse(final: TurnEnd): StartConversationResponse {
  const done = wireDone(doneOrThrow(final));
  return StartConversationResponse.create({
    ...(done.conversation ? { conversation: done.conversation } : {}),
    ...(done.reply ? { reply: done.reply } : {}),
    ...(done.usage ? { usage: done.usage } : {}),
  });
}

/** The turn's `done`, or its error as the Twirp error a unary caller gets. */
export function doneOrThrow(final: TurnEnd): TurnDone {
  if (final.type === 'error') throw twirpErrorOf(final.error);
  return final;
}
