import type { TurnResult } from '../conversations/conversation-service.ts';
import type { ConversationRecord } from '../conversations/conversation-store.ts';
import type { TurnProgress } from '../conversations/turn-scope.ts';
import type { PublicError } from '../errors/public-error.ts';

/** A finished turn, or a conversation started without a message (`turn` absent). */
export interface TurnDone {
  type: 'done';
  conversation: ConversationRecord;
  turn?: TurnResult;
}

/** A turn that failed: what its listeners are told (never internal text). */
export interface TurnFailed {
  type: 'error';
  error: PublicError;
}

export type TurnStarted = Extract<TurnProgress, { type: 'started' }>;

/**
 * What a turn's listeners receive, in order: `started` once, deltas and tool calls, then exactly one of
 * `done` or `error`. The engine's own type: transports translate it (rpc/ to protobuf `TurnEvent`s).
 */
export type TurnEvent = TurnProgress | TurnDone | TurnFailed;

export type TurnEnd = TurnDone | TurnFailed;

export function isFinal(event: TurnEvent): event is TurnEnd {
  return event.type === 'done' || event.type === 'error';
}

// Events cross processes as JSON (the relay, idempotency records); dates travel as ISO text.
const DATE_FIELDS = new Set(['createdAt', 'updatedAt']);

export function encodeEvent(event: TurnEvent): string {
  if (event.type === 'delta') return `{"type":"delta","text":${JSON.stringify(event.text)}}`;
  return JSON.stringify(event);
}

export function decodeEvent(json: string): TurnEvent {
  return JSON.parse(json, (key, value: unknown) =>
    DATE_FIELDS.has(key) && typeof value === 'string' ? new Date(value) : value,
  ) as TurnEvent;
}

/** What a finished turn leaves for retries with the same request_id: its `started` and `done`. */
export interface TurnRecord {
  started: TurnStarted;
  done: TurnDone;
}

export function encodeRecord(record: TurnRecord): string {
  return JSON.stringify(record);
}

export function decodeRecord(text: string): TurnRecord {
  return decodeEvent(text) as unknown as TurnRecord;
}
