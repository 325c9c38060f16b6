import type { Logger } from '@parley/logger';
import type { ConversationRecord } from '../../conversations/conversation-store.ts';
import type { TurnCall } from '../turn-engine.ts';
import type { TurnDone, TurnEvent, TurnStarted } from '../turn-event.ts';

// A turn whose course a test holds, for the engine's tests across processes (the pool's relay, Redis).

export const started: TurnStarted = { type: 'started', conversationId: 'x', isNew: false };
export const done: TurnDone = { type: 'done', conversation: { id: 'x' } as ConversationRecord };

/** Every event of a held turn, in order. */
export const whole: TurnEvent[] = [
  started,
  { type: 'delta', text: 'one ' },
  { type: 'delta', text: 'two' },
  done,
];

/**
 * A turn that says `one `, then waits for `release` before `two` and the end (`quiet`: waits before it
 * says anything, as a turn queued behind its conversation's lock does). `runs()`: how often it ran.
 */
export function heldCall(logger: Logger, idempotencyKey: string, quiet = false) {
  let release = () => {};
  const released = new Promise<void>((resolve) => (release = resolve));
  let runs = 0;
  const call: TurnCall = {
    key: { owner: { clientId: 'c', userId: 'u' }, method: 'ContinueConversation', idempotencyKey },
    requestId: 'r1',
    logger,
    run: async (scope) => {
      runs++;
      if (quiet) await released;
      scope.emit(started);
      scope.emit({ type: 'delta', text: 'one ' });
      await released;
      scope.emit({ type: 'delta', text: 'two' });
      return done;
    },
  };
  return { call, release, runs: () => runs };
}
