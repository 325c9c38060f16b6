import type { RedisConnection } from '../redis/redis-client.ts';
import type { SessionStore } from './session-store.ts';

/**
 * Sessions in Redis, shared by every server replica: `${keyPrefix}session:<platform>:<chat_id>` →
 * conversation id, with a sliding TTL. Every call fails fast through the shared connection (offline →
 * at once, slow → after the command timeout); SessionManager catches the failure and falls back to the
 * conversation store.
 *
 * The store borrows the connection: `close()` leaves it open for the other Redis users, and whoever
 * created it (the composition root) closes it.
 */
export class RedisSessionStore implements SessionStore {
  readonly #redis: RedisConnection;

  constructor(deps: { redis: RedisConnection }) {
    this.#redis = deps.redis;
  }

  async get(key: string, ttlSeconds: number): Promise<string | null> {
    // GETEX reads and slides the TTL in one round trip (Redis >= 6.2).
    return this.#redis.run((client) =>
      client.getEx(this.#key(key), { type: 'EX', value: toSeconds(ttlSeconds) }),
    );
  }

  async set(key: string, conversationId: string, ttlSeconds: number): Promise<void> {
    await this.#redis.run((client) =>
      client.set(this.#key(key), conversationId, {
        expiration: { type: 'EX', value: toSeconds(ttlSeconds) },
      }),
    );
  }

  async delete(key: string): Promise<void> {
    await this.#redis.run((client) => client.del(this.#key(key)));
  }

  async ping(): Promise<void> {
    await this.#redis.ping();
  }

  /** No-op: the connection is shared and owned by its creator. */
  async close(): Promise<void> {}

  #key(key: string): string {
    return `${this.#redis.keyPrefix}session:${key}`;
  }
}

/** Redis rejects EX 0 or fractions; a session lives at least one second. */
function toSeconds(ttlSeconds: number): number {
  return Math.max(1, Math.ceil(ttlSeconds));
}
