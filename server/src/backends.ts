import { join } from 'node:path';
import type { ServerConfig } from '@parley/config';
import type { Logger } from '@parley/logger';
import type { ConversationStore } from './conversations/conversation-store.ts';
import { EmbeddedConversationStore } from './conversations/embedded-conversation-store.ts';
import type { IdempotencyStore } from './coordination/idempotency-store.ts';
import { type KeyedLock, LocalLock, layeredLock } from './coordination/keyed-lock.ts';
import { MemoryIdempotencyStore } from './coordination/memory-idempotency-store.ts';
import { redisCommands } from './coordination/redis-commands.ts';
import { RedisIdempotencyStore } from './coordination/redis-idempotency-store.ts';
import { RedisLock } from './coordination/redis-lock.ts';
import type { ComponentStatus } from './observability/readiness.ts';
import type { RedisConnection } from './redis/redis-client.ts';
import { MemorySessionStore } from './sessions/memory-session-store.ts';
import { RedisSessionStore } from './sessions/redis-session-store.ts';
import type { SessionStore } from './sessions/session-store.ts';

/** The stateful parts of a server: embedded on one machine, Redis + MongoDB when scaled out. */
export interface Backends {
  store: ConversationStore;
  sessions: SessionStore;
  lock: KeyedLock;
  idempotency: IdempotencyStore;
  /** The shared Redis connection, when REDIS_URL is set (caches reuse it). */
  redis?: RedisConnection;
  readiness(): Promise<Record<string, ComponentStatus>>;
  close(): Promise<void>;
}

export type BackendOverrides = Partial<Pick<Backends, 'store' | 'sessions' | 'lock' | 'idempotency'>> & {
  clock?: () => Date;
};

/**
 * Picks each backend from the config: MongoDB when MONGODB_URL is set (else SQLite under DATA_DIR);
 * Redis for sessions, cross-replica locks and idempotency when REDIS_URL is set (else process memory).
 */
export async function createBackends(
  config: Readonly<ServerConfig>,
  logger: Logger,
  overrides: BackendOverrides = {},
): Promise<Backends> {
  const clock = overrides.clock ?? (() => new Date());
  // The Redis and MongoDB drivers load only when configured: together they are most of the modules a
  // server would otherwise load at start (cold start and idle memory of a single-machine server).
  const redis = config.redis
    ? (await import('./redis/redis-client.ts')).createRedisClient({
        url: config.redis.url,
        keyPrefix: config.redis.keyPrefix,
        logger,
      })
    : undefined;
  const store =
    overrides.store ??
    (config.mongodb
      ? await (await import('./conversations/mongo-conversation-store.ts')).MongoConversationStore.connect({
          url: config.mongodb.url,
          dbName: config.mongodb.dbName,
          logger,
        })
      : new EmbeddedConversationStore({ path: join(config.dataDir, 'parley.db'), clock }));
  const commands = redis ? redisCommands(redis) : undefined;
  const keyPrefix = config.redis?.keyPrefix ?? '';
  const sessions =
    overrides.sessions ?? (redis ? new RedisSessionStore({ redis }) : new MemorySessionStore());
  const lock =
    overrides.lock ??
    (commands
      ? layeredLock(new LocalLock(), new RedisLock({ redis: commands, logger, keyPrefix }))
      : new LocalLock());
  const idempotency =
    overrides.idempotency ??
    (commands ? new RedisIdempotencyStore({ redis: commands, keyPrefix }) : new MemoryIdempotencyStore());

  return {
    store,
    sessions,
    lock,
    idempotency,
    ...(redis ? { redis } : {}),
    async readiness() {
      const components: Record<string, ComponentStatus> = {
        store: await check(() => store.ping(), config.mongodb ? 'mongodb' : 'sqlite'),
      };
      // Sessions fall back to the store when Redis is down: reported, but the server stays ready.
      if (redis) components.redis = { ...(await check(() => redis.ping(), 'redis')), optional: true };
      return components;
    },
    async close() {
      await Promise.allSettled([store.close(), sessions.close()]);
      await redis?.close();
    },
  };
}

async function check(probe: () => Promise<void>, kind: string): Promise<ComponentStatus> {
  try {
    await probe();
    return { ok: true, detail: kind };
  } catch (err) {
    return { ok: false, detail: `${kind}: ${err instanceof Error ? err.name : 'failed'}` };
  }
}
