import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@parley/logger';
import type { IMessageType } from '@protobuf-ts/runtime';
import type { Owner } from '../conversations/conversation-store.ts';
import type { IdempotencyStore } from '../coordination/idempotency-store.ts';
import { AppError, tooLong } from '../errors/app-error.ts';

export interface IdempotentCall {
  owner: Owner;
  method: string;
  /** The client's `request_id`: the same key on a retry means the same call. */
  idempotencyKey: string;
}

/**
 * Runs state-changing calls at most once per (owner, method, request_id): a retry gets the first
 * response, a retry arriving while the first still runs waits for it (then `aborted`), and a retry after
 * a failure runs again, told so via `retryOfFailure`. If the store itself fails, the call runs anyway:
 * availability first, logged.
 */
export class Idempotency {
  readonly #store: IdempotencyStore;
  readonly #logger: Logger;
  readonly #waitMs: number;

  constructor(deps: { store: IdempotencyStore; logger: Logger; waitMs?: number }) {
    this.#store = deps.store;
    this.#logger = deps.logger;
    this.#waitMs = deps.waitMs ?? 15_000;
  }

  async run<T extends object>(
    call: IdempotentCall,
    type: IMessageType<T>,
    fn: (retryOfFailure: boolean) => Promise<T>,
  ): Promise<T> {
    if (!call.idempotencyKey) return fn(false);
    if (call.idempotencyKey.length > 128) throw tooLong('request_id', 128);
    const key = keyOf(call);
    const begin = await this.#claim(key);
    if (begin === null) return fn(false);
    if (begin.status === 'done') return type.fromJsonString(begin.response);
    let result: T;
    try {
      result = await fn(begin.retryOfFailure);
    } catch (err) {
      await this.#store
        .fail(key)
        .catch((e: unknown) => this.#logger.warn({ err: e }, 'idempotency store failed'));
      throw err;
    }
    await this.#store
      .complete(key, type.toJsonString(result))
      .catch((err: unknown) => this.#logger.warn({ err }, 'idempotency store failed'));
    return result;
  }

  /** Claims the key, waiting while another call with it runs; null when the store is unavailable. */
  async #claim(key: string) {
    const deadline = Date.now() + this.#waitMs;
    for (;;) {
      let begin: Awaited<ReturnType<IdempotencyStore['begin']>>;
      try {
        begin = await this.#store.begin(key);
      } catch (err) {
        this.#logger.warn({ err }, 'idempotency store unavailable; running the call without it');
        return null;
      }
      if (begin.status !== 'running') return begin;
      if (Date.now() >= deadline) {
        throw new AppError('aborted', 'a request with this request_id is still being processed; retry later');
      }
      await sleep(100);
    }
  }
}

// Hashed so user ids and request ids of any shape make safe, bounded keys.
export function keyOf(call: IdempotentCall): string {
  return createHash('sha256')
    .update(JSON.stringify([call.owner.clientId, call.owner.userId, call.method, call.idempotencyKey]))
    .digest('hex');
}
