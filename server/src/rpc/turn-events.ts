import {
  ContinueConversationResponse,
  StartConversationResponse,
  ToolPhase,
  type TurnDone,
  TurnEvent,
  type TurnStarted,
} from '@parley/rpc';
import { TwirpError, type TwirpErrorCode } from 'twirp-ts';
import type { TurnResult } from '../conversations/conversation-service.ts';
import type { ConversationRecord } from '../conversations/conversation-store.ts';
import type { TurnEvent as DomainTurnEvent } from '../conversations/turn-scope.ts';
import { toWireConversation, toWireMessage, toWireUsage } from './wire.ts';

// The wire form of a turn's events, and the unary responses folded from them.

const JSON_OPTIONS = { useProtoFieldName: true } as const;

export type WireEvent = TurnEvent['event'];

/** A domain event as the `TurnEvent` a client receives. */
export function toWireEvent(event: DomainTurnEvent): WireEvent {
  switch (event.type) {
    case 'started': {
      const started: TurnStarted = { conversationId: event.conversationId, newConversation: event.isNew };
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
  }
}

/** `done` for a finished turn, or for a conversation started without a message. */
export function doneEvent(turn: TurnResult | undefined, conversation: ConversationRecord): WireEvent {
  const done: TurnDone = {
    conversation: toWireConversation(turn?.conversation ?? conversation),
    toolsUsed: [],
  };
  if (turn) {
    done.reply = toWireMessage(turn.reply);
    done.usage = toWireUsage(turn.usage);
    done.toolsUsed = turn.toolsUsed;
  }
  return { oneofKind: 'done', done };
}

export function errorEvent(error: TwirpError): WireEvent {
  return { oneofKind: 'error', error: { code: error.code, msg: error.msg, meta: { ...error.meta } } };
}

/** The event's JSON (`data:` of an SSE frame). Deltas, most of a stream, skip the reflection-based writer. */
export function eventJson(event: WireEvent): string {
  if (event.oneofKind === 'delta') return `{"delta":{"text":${JSON.stringify(event.delta.text)}}}`;
  return TurnEvent.toJsonString({ event }, JSON_OPTIONS);
}

export function parseEventJson(json: string): WireEvent {
  return TurnEvent.fromJsonString(json, { ignoreUnknownFields: true }).event;
}

/** What a finished turn leaves for retries with the same request_id: its `started` and `done`. */
export interface TurnRecord {
  started: WireEvent;
  done: WireEvent;
}

export function encodeRecord(record: TurnRecord): string {
  return JSON.stringify({ started: eventJson(record.started), done: eventJson(record.done) });
}

export function decodeRecord(text: string): TurnRecord {
  const { started, done } = JSON.parse(text) as { started: string; done: string };
  return { started: parseEventJson(started), done: parseEventJson(done) };
}

/** The unary answer of a turn, from its `started` and `done` (or the Twirp error of its `error`). */
export function continueResponse(started: WireEvent, final: WireEvent): ContinueConversationResponse {
  const done = finalDone(final);
  return ContinueConversationResponse.create({
    conversationId: done.conversation?.id ?? '',
    ...(done.reply ? { reply: done.reply } : {}),
    ...(done.usage ? { usage: done.usage } : {}),
    toolsUsed: done.toolsUsed,
    newConversation: started.oneofKind === 'started' && started.started.newConversation,
  });
}

export function startResponse(final: WireEvent): StartConversationResponse {
  const done = finalDone(final);
  return StartConversationResponse.create({
    ...(done.conversation ? { conversation: done.conversation } : {}),
    ...(done.reply ? { reply: done.reply } : {}),
    ...(done.usage ? { usage: done.usage } : {}),
  });
}

function finalDone(final: WireEvent): TurnDone {
  if (final.oneofKind === 'done') return final.done;
  if (final.oneofKind === 'error') {
    const error = new TwirpError(final.error.code as TwirpErrorCode, final.error.msg);
    for (const [key, value] of Object.entries(final.error.meta)) error.withMeta(key, value);
    throw error;
  }
  throw new Error('a turn ended without done or error');
}
