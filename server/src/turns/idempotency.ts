import { hash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@parley/logger';
import type { Owner } from '../conversations/conversation-store.ts';
import type { IdempotencyStore } from '../coordination/idempotency-store.ts';
import { AppError, tooLong } from '../errors/app-error.ts';

export interface IdempotentCall {
  owner: Owner;
  method: string;
  /** The client's `request_id`: the same key on a retry means the same call. */
  idempotencyKey: string;
}

/** What claiming a call's key found. */
export type Claim =
  /** Run it (first time, or a retry after a failure: `retryOfFailure`). */
  | { status: 'started'; retryOfFailure: boolean }
  /** Done before: answer with the stored response. */
  | { status: 'done'; response: string }
  /** Another call holds the key and `whileRunning` took care of this one (it follows that call). */
  | { status: 'followed' }
  /** The store is down: run the call unguarded (availability first; logged). */
  | { status: 'unguarded' };

export interface ClaimOptions {
  logger: Logger;
  /**
   * Asked each time another call holds the key: true when this caller is taken care of (it follows the
   * running call, or left). Otherwise the claim waits and asks the store again, up to `waitMs`.
   */
  whileRunning?(): boolean;
}

const POLL_MS = 100;

/**
 * Runs state-changing calls at most once per (owner, method, request_id): a retry gets the first
 * response, a retry arriving while the first still runs waits for it (then `aborted`), and a retry after
 * a failure runs again, told so; so does one after the first's process died (its claim's lease lapsed).
 * The turn engine claims through it (and follows running turns instead of waiting, where it can); other
 * calls (DeleteConversation) use {@link run}.
 */
export class Idempotency {
  readonly #store: IdempotencyStore;
  readonly #waitMs: number;

  constructor(deps: { store: IdempotencyStore; waitMs?: number }) {
    this.#store = deps.store;
    this.#waitMs = deps.waitMs ?? 15_000;
  }

  async claim(key: string, options: ClaimOptions): Promise<Claim> {
    const deadline = Date.now() + this.#waitMs;
    for (;;) {
      let begin: Awaited<ReturnType<IdempotencyStore['begin']>>;
      try {
        begin = await this.#store.begin(key);
      } catch (err) {
        options.logger.warn({ err }, 'idempotency store unavailable; running the call without it');
        return { status: 'unguarded' };
      }
      if (begin.status !== 'running') return begin;
      if (options.whileRunning?.()) return { status: 'followed' };
      if (Date.now() >= deadline) {
        throw new AppError('aborted', 'a request with this request_id is still being processed; retry later');
      }
      await sleep(POLL_MS);
    }
  }

  /**
   * Keeps a claim this process runs under lease until `release()`: renewed every third of the store's
   * lease, so only a holder that died (or lost the store that long) lets a retry run the call again.
   */
  hold(key: string, logger: Logger): { release(): void } {
    const renew = () =>
      this.#store.renew(key).catch((err: unknown) => logger.warn({ err }, 'could not renew a running claim'));
    const timer = setInterval(renew, this.#store.leaseMs / 3);
    return { release: () => clearInterval(timer) };
  }

  /** Stores the outcome for retries: the response, or (undefined) a failure a retry may run again. */
  async settle(key: string, response: string | undefined, logger: Logger): Promise<void> {
    try {
      await (response === undefined ? this.#store.fail(key) : this.#store.complete(key, response));
    } catch (err) {
      logger.warn({ err }, 'idempotency store failed');
    }
  }

  /** Runs `fn` at most once for `call`; its result travels as JSON. */
  async run<T>(
    call: IdempotentCall,
    logger: Logger,
    fn: (retryOfFailure: boolean) => Promise<T>,
  ): Promise<T> {
    const key = keyOf(call);
    if (!key) return fn(false);
    const claim = await this.claim(key, { logger });
    if (claim.status === 'done') return JSON.parse(claim.response) as T;
    if (claim.status !== 'started') return fn(false);
    let result: T;
    const held = this.hold(key, logger);
    try {
      result = await fn(claim.retryOfFailure);
    } catch (err) {
      await this.settle(key, undefined, logger);
      throw err;
    } finally {
      held.release();
    }
    await this.settle(key, JSON.stringify(result), logger);
    return result;
  }
}

/**
 * The store key of a call ('' when it has no request_id). Hashed so user ids and request ids of any shape
 * make safe, bounded keys.
 */
export function keyOf(call: IdempotentCall): string {
  if (!call.idempotencyKey) return '';
  if (call.idempotencyKey.length > 128) throw tooLong('request_id', 128);
  return hash(
    'sha256',
    JSON.stringify([call.owner.clientId, call.owner.userId, call.method, call.idempotencyKey]),
    'hex',
  );
}
