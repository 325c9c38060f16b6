/** What a state-changing call with a request id finds when it starts. */
export type IdempotencyBegin =
  /** First time (or a retry after a failure): run it. `retryOfFailure` says an earlier try failed. */
  | { status: 'started'; retryOfFailure: boolean }
  /** Done before: answer with the stored response. */
  | { status: 'done'; response: string }
  /** Another call with this id is running now. */
  | { status: 'running' };

/**
 * Remembers the outcome of requests by key (`<client>:<user>:<method>:<request_id>`), so a retry returns
 * the first result and changes nothing twice. Implementations: memory and Redis.
 */
export interface IdempotencyStore {
  /** Atomically claims the key for running, unless it is running or done. */
  begin(key: string): Promise<IdempotencyBegin>;
  /** Stores the response a retry will get. */
  complete(key: string, response: string): Promise<void>;
  /** Marks a failed run: a retry may run again (and learns that this one failed). */
  fail(key: string): Promise<void>;
}

export const IDEMPOTENCY_TTL = {
  /** A running claim expires if its holder dies. */
  runningSeconds: 300,
  doneSeconds: 86_400,
  failedSeconds: 3_600,
} as const;
