import { IDEMPOTENCY_TTL, type IdempotencyBegin, type IdempotencyStore } from './idempotency-store.ts';
import type { RedisCommands } from './redis-commands.ts';

// A running claim is `running:<lease end, ms on Redis's clock>`; past its lease it counts as failed (its
// holder died). The key itself lives as long as a failed record would, so a retry still learns that.
const NOW = `
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)`;

// Claim atomically: a missing or failed key (or a lapsed lease) becomes running; otherwise report what is
// there. Returns 'new' or 'failed' when claimed, else the value found.
const BEGIN = `${NOW}
local current = redis.call('get', KEYS[1])
if current and string.sub(current, 1, 8) == 'running:' and tonumber(string.sub(current, 9)) <= now then
  current = 'failed'
end
if current == false or current == 'failed' then
  redis.call('set', KEYS[1], 'running:' .. (now + tonumber(ARGV[2])), 'EX', ARGV[1])
  if current == false then return 'new' end
  return 'failed'
end
return current`;

const RENEW = `${NOW}
local current = redis.call('get', KEYS[1])
if current and string.sub(current, 1, 8) == 'running:' then
  redis.call('set', KEYS[1], 'running:' .. (now + tonumber(ARGV[2])), 'EX', ARGV[1])
  return 1
end
return 0`;

/**
 * Idempotency records in Redis, shared by all replicas: `running:<lease end>`, `failed`, or
 * `done:<response>`, each with its own expiry.
 */
export class RedisIdempotencyStore implements IdempotencyStore {
  readonly leaseMs: number;
  readonly #redis: RedisCommands;
  readonly #prefix: string;

  constructor(options: { redis: RedisCommands; keyPrefix?: string; leaseMs?: number }) {
    this.#redis = options.redis;
    this.#prefix = `${options.keyPrefix ?? ''}idem:`;
    this.leaseMs = options.leaseMs ?? IDEMPOTENCY_TTL.leaseMs;
  }

  async begin(key: string): Promise<IdempotencyBegin> {
    const previous = String(await this.#eval(BEGIN, key));
    if (previous === 'new' || previous === 'failed')
      return { status: 'started', retryOfFailure: previous === 'failed' };
    if (previous.startsWith('done:')) return { status: 'done', response: previous.slice('done:'.length) };
    return { status: 'running' };
  }

  async renew(key: string): Promise<void> {
    await this.#eval(RENEW, key);
  }

  async complete(key: string, response: string): Promise<void> {
    await this.#redis.set(this.#prefix + key, `done:${response}`, { EX: IDEMPOTENCY_TTL.doneSeconds });
  }

  async fail(key: string): Promise<void> {
    await this.#redis.set(this.#prefix + key, 'failed', { EX: IDEMPOTENCY_TTL.failedSeconds });
  }

  #eval(script: string, key: string): Promise<unknown> {
    return this.#redis.eval(script, {
      keys: [this.#prefix + key],
      arguments: [String(IDEMPOTENCY_TTL.failedSeconds), String(this.leaseMs)],
    });
  }
}
