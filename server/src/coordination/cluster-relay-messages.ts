// What the workers of one pool (ClusterTurnRelay) and the cluster primary (TurnRelayHub) tell each other
// about turns followed across workers, over node:cluster IPC. Keys are idempotency keys (hashes); events
// are TurnEvents as JSON, passed through untouched.

export const RELAY_MESSAGE = 'parley:turn-relay';

/** From a worker to the primary (without its `type` tag). */
export type ToHubBody =
  /** Reader `reader` of this worker wants the turn's events from the first. */
  | { op: 'read'; key: string; reader: number }
  | { op: 'unread'; reader: number }
  /** Answer to `want`: this worker runs the turn; its events so far. */
  | { op: 'replay'; key: string; events: readonly string[] }
  /** Answer to `want`: the turn does not run here (or was already offered). */
  | { op: 'none'; key: string }
  /** Events after the replay, in order. */
  | { op: 'publish'; key: string; events: readonly string[] }
  /** The turn this worker replayed has ended (its last event published). */
  | { op: 'end'; key: string }
  /** Listener `mark` of this worker follows the turn: sent again before it expires, until `leave`. */
  | { op: 'attend'; key: string; mark: number }
  | { op: 'leave'; key: string; mark: number }
  /** Does any listener in any worker attend the turn? Answered with `answer` and the same id. */
  | { op: 'ask'; key: string; id: number };

/** From the primary to a worker (without its `type` tag). */
export type ToWorkerBody =
  /** Sent to every worker but the reader's: whoever runs this turn, replay it and publish the rest. */
  | { op: 'want'; key: string }
  | { op: 'events'; reader: number; events: readonly string[] }
  /** Nothing more will come for this reader: no worker runs the turn, or its worker died. */
  | { op: 'gone'; reader: number }
  | { op: 'answer'; id: number; attended: boolean };

export type ToHub = ToHubBody & { type: typeof RELAY_MESSAGE };
export type ToWorker = ToWorkerBody & { type: typeof RELAY_MESSAGE };

export function isRelayMessage(message: unknown): message is { type: typeof RELAY_MESSAGE; op: string } {
  return (
    typeof message === 'object' && message !== null && (message as { type?: unknown }).type === RELAY_MESSAGE
  );
}
