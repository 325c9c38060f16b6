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
  /**
   * How long a claim stays `running` unless renewed: a claim whose holder stopped renewing it (its process
   * died) then counts as a failed run, so a retry runs again, told so (it stores its message once).
   */
  readonly leaseMs: number;
  /** Atomically claims the key for running, unless it is running (within its lease) or done. */
  begin(key: string): Promise<IdempotencyBegin>;
  /** Extends a running claim's lease (the holder calls it while it runs); nothing when it is not running. */
  renew(key: string): Promise<void>;
  /** Stores the response a retry will get. */
  complete(key: string, response: string): Promise<void>;
  /** Marks a failed run: a retry may run again (and learns that this one failed). */
  fail(key: string): Promise<void>;
}

/** A record as the memory and SQLite stores keep it (Redis keeps the same in one string). */
export interface IdempotencyRecord {
  state: 'running' | 'done' | 'failed';
  response: string;
  /** A running claim's lease end (ms); 0 for a claim written before leases: running until it expires. */
  leaseUntil: number;
}

/**
 * What claiming finds in a live `record` at `now`: done, running within its lease, or free (`started`:
 * the caller writes a running record). A failed run, or a running one whose lease lapsed (its holder
 * died), is claimed as a retry of a failure.
 */
export function claimOf(record: IdempotencyRecord | undefined, now: number): IdempotencyBegin {
  if (record?.state === 'done') return { status: 'done', response: record.response };
  const lapsed = record?.state === 'running' && record.leaseUntil > 0 && record.leaseUntil <= now;
  if (record?.state === 'running' && !lapsed) return { status: 'running' };
  return { status: 'started', retryOfFailure: record?.state === 'failed' || lapsed };
}

export const IDEMPOTENCY_TTL = {
  /** A running claim's lease, renewed by its holder every third of it. */
  leaseMs: 30_000,
  doneSeconds: 86_400,
  failedSeconds: 3_600,
} as const;
