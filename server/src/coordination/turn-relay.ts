/**
 * Carries a running turn's events to requests in other processes that re-attach to it (same
 * `request_id`), and tells the process running the turn whether anyone there still follows it.
 * Implementations: Redis Streams across replicas (RedisTurnRelay), the cluster primary between the
 * workers of one pool (ClusterTurnRelay).
 */
export interface TurnRelay {
  /** Appends events (JSON, in order) to the turn's log in one round trip; resolves once stored. */
  publish(key: string, events: readonly string[]): Promise<void>;
  /**
   * The turn's events from the first, then as they are published, until the reader stops (after the last
   * event), `signal` aborts, nothing arrives for `idleMs` (the running process died), or the relay knows
   * that no process runs the turn any more.
   */
  read(key: string, options: { signal: AbortSignal; idleMs: number }): AsyncGenerator<string>;
  /**
   * Marks one listener in this process as following the turn, until `leave()`: the process running the
   * turn keeps it alive for it even when none of its own listeners are left.
   */
  attend(key: string): { leave(): void };
  /** True while a listener in any process attends the turn. */
  attended(key: string): Promise<boolean>;
  /**
   * For relays that carry a turn only once another process follows it (nothing per turn until then):
   * `replay` is called once, when the first reader appears, and answers the turn's events so far
   * (JSON, in order); the turn then publishes the rest. Relays without it are published every event of
   * every turn that has a key.
   */
  offer?(key: string, replay: () => readonly string[]): { withdraw(): void };
}
