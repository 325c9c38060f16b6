import type { ReplyEvent, ReplyScope } from '../assistant/reply-scope.ts';
import type { StoredMessage } from './conversation-store.ts';

/**
 * What a turn reports while it runs, in order: `started` once, then the assistant's deltas and tool calls.
 * The turn engine ends the sequence with `done` or `error` (see turns/turn-event.ts).
 */
export type TurnProgress =
  | {
      type: 'started';
      conversationId: string;
      isNew: boolean;
      /** The user message as stored (absent for a conversation started without one). */
      userMessage?: StoredMessage;
    }
  | ReplyEvent;

/**
 * The request scope as the conversation use cases see it: the request's ids, its logger, the signal that
 * fires when the client is gone, and where the turn's events go. Built once at the edge.
 */
export interface TurnScope extends ReplyScope {
  readonly requestId: string;
  /** The client's `request_id` ('' when none): the key a retry re-attaches by. */
  readonly idempotencyKey: string;
  emit(event: TurnProgress): void;
}

/** A scope for calls no client waits on (tests, background work): never aborted, events dropped. */
export function detachedScope(logger: TurnScope['logger']): TurnScope {
  return {
    requestId: '',
    idempotencyKey: '',
    logger,
    signal: new AbortController().signal,
    emit: () => undefined,
  };
}
