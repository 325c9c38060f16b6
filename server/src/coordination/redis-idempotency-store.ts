import { IDEMPOTENCY_TTL, type IdempotencyBegin, type IdempotencyStore } from './idempotency-store.ts';
import type { RedisCommands } from './redis-commands.ts';

// Claim atomically: a missing or failed key becomes "running"; otherwise report what is there.
// Returns the previous value ('' when none) so the caller knows whether it claimed it.
const BEGIN = `
local current = redis.call('get', KEYS[1])
if current == false or current == 'failed' then
  redis.call('set', KEYS[1], 'running', 'EX', ARGV[1])
  if current == false then return 'new' end
  return 'failed'
end
return current`;

/**
 * Idempotency records in Redis, shared by all replicas: `running`, `failed`, or `done:<response>`,
 * each with its own expiry.
 */
export class RedisIdempotencyStore implements IdempotencyStore {
  readonly #redis: RedisCommands;
  readonly #prefix: string;

  constructor(options: { redis: RedisCommands; keyPrefix?: string }) {
    this.#redis = options.redis;
    this.#prefix = `${options.keyPrefix ?? ''}idem:`;
  }

  async begin(key: string): Promise<IdempotencyBegin> {
    const previous = String(
      await this.#redis.eval(BEGIN, {
        keys: [this.#prefix + key],
        arguments: [String(IDEMPOTENCY_TTL.runningSeconds)],
      }),
    );
    if (previous === 'new' || previous === 'failed')
      return { status: 'started', retryOfFailure: previous === 'failed' };
    if (previous.startsWith('done:')) return { status: 'done', response: previous.slice('done:'.length) };
    return { status: 'running' };
  }

  async complete(key: string, response: string): Promise<void> {
    await this.#redis.set(this.#prefix + key, `done:${response}`, { EX: IDEMPOTENCY_TTL.doneSeconds });
  }

  async fail(key: string): Promise<void> {
    await this.#redis.set(this.#prefix + key, 'failed', { EX: IDEMPOTENCY_TTL.failedSeconds });
  }
}
