import { join } from 'node:path';
import type { ServerConfig } from '@parley/config';
import type { Logger } from '@parley/logger';
import type Database from 'better-sqlite3';
import type { ConversationStore } from './conversations/conversation-store.ts';
import { EmbeddedConversationStore } from './conversations/embedded-conversation-store.ts';
import type { IdempotencyStore } from './coordination/idempotency-store.ts';
import { type KeyedLock, LocalLock, layeredLock } from './coordination/keyed-lock.ts';
import { MemoryIdempotencyStore } from './coordination/memory-idempotency-store.ts';
import { redisCommands } from './coordination/redis-commands.ts';
import { RedisIdempotencyStore } from './coordination/redis-idempotency-store.ts';
import { RedisLock } from './coordination/redis-lock.ts';
import {
  openCoordinationDatabase,
  RATE_LIMIT_TABLE,
  sweepInBackground,
} from './coordination/sqlite-coordination.ts';
import { SqliteIdempotencyStore } from './coordination/sqlite-idempotency-store.ts';
import { SqliteLock } from './coordination/sqlite-lock.ts';
import type { ComponentStatus } from './observability/readiness.ts';
import type { RedisConnection } from './redis/redis-client.ts';
import { MemorySessionStore } from './sessions/memory-session-store.ts';
import { RedisSessionStore } from './sessions/redis-session-store.ts';
import type { SessionStore } from './sessions/session-store.ts';
import { SqliteSessionStore } from './sessions/sqlite-session-store.ts';

/** The stateful parts of a server: embedded on one machine, Redis + MongoDB when scaled out. */
export interface Backends {
  store: ConversationStore;
  sessions: SessionStore;
  lock: KeyedLock;
  idempotency: IdempotencyStore;
  /** The shared Redis connection, when REDIS_URL is set (caches reuse it). */
  redis?: RedisConnection;
  /**
   * Rate-limit counters shared by this machine's server processes (WORKERS > 1 without Redis): a table
   * in the coordination SQLite file.
   */
  sharedRateLimits?: { db: Database.Database; table: string };
  readiness(): Promise<Record<string, ComponentStatus>>;
  close(): Promise<void>;
}

export type BackendOverrides = Partial<Pick<Backends, 'store' | 'sessions' | 'lock' | 'idempotency'>> & {
  clock?: () => Date;
};

/**
 * Picks each backend from the config: MongoDB when MONGODB_URL is set (else SQLite under DATA_DIR);
 * Redis for sessions, cross-replica locks and idempotency when REDIS_URL is set; else, when this is one of
 * several server processes (WORKERS > 1), a coordination SQLite file under DATA_DIR they all share; else
 * process memory (one process: nothing to share, and nothing spent on sharing).
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
  // Connecting went on while the store opened; serving starts once Redis is up (or known down).
  await redis?.firstAttempt();
  const coordination = redis
    ? redisCoordination(redis, config, logger)
    : embeddedCoordination(config, logger);
  const sessions = overrides.sessions ?? coordination.sessions;
  const lock = overrides.lock ?? coordination.lock;
  const idempotency = overrides.idempotency ?? coordination.idempotency;

  return {
    store,
    sessions,
    lock,
    idempotency,
    ...(redis ? { redis } : {}),
    ...(coordination.sharedRateLimits ? { sharedRateLimits: coordination.sharedRateLimits } : {}),
    async readiness() {
      const components: Record<string, ComponentStatus> = {
        store: await check(() => store.ping(), config.mongodb ? 'mongodb' : 'sqlite'),
      };
      // Sessions fall back to the store when Redis is down: reported, but the server stays ready.
      if (redis) components.redis = { ...(await check(() => redis.ping(), 'redis')), optional: true };
      // The workers' shared sessions, locks and idempotency (WORKERS > 1 without Redis).
      const { ping } = coordination;
      if (ping) components.coordination = await check(ping, 'sqlite');
      return components;
    },
    async close() {
      await Promise.allSettled([store.close(), sessions.close()]);
      coordination.close();
      await redis?.close();
    },
  };
}

type Coordination = Pick<Backends, 'sessions' | 'lock' | 'idempotency' | 'sharedRateLimits'> & {
  /** The shared coordination file's health, when there is one. */
  ping?(): Promise<void>;
  close(): void;
};

function redisCoordination(
  redis: RedisConnection,
  config: Readonly<ServerConfig>,
  logger: Logger,
): Coordination {
  const commands = redisCommands(redis);
  const keyPrefix = config.redis?.keyPrefix ?? '';
  return {
    sessions: new RedisSessionStore({ redis }),
    // Local FIFO first, so one replica sends one waiter per conversation to Redis.
    lock: layeredLock(new LocalLock(), new RedisLock({ redis: commands, logger, keyPrefix })),
    idempotency: new RedisIdempotencyStore({ redis: commands, keyPrefix }),
    close: () => {},
  };
}

function embeddedCoordination(config: Readonly<ServerConfig>, logger: Logger): Coordination {
  if (config.workers === 1) {
    return {
      sessions: new MemorySessionStore(),
      lock: new LocalLock(),
      idempotency: new MemoryIdempotencyStore(),
      close: () => {},
    };
  }
  const db = openCoordinationDatabase(join(config.dataDir, 'coordination.db'));
  const stopSweeping = sweepInBackground(db, logger);
  return {
    sessions: new SqliteSessionStore(db),
    lock: layeredLock(new LocalLock(), new SqliteLock({ db, logger })),
    idempotency: new SqliteIdempotencyStore(db),
    sharedRateLimits: { db, table: RATE_LIMIT_TABLE },
    ping: async () => {
      db.prepare('SELECT 1 FROM locks LIMIT 1').get();
    },
    close: () => {
      stopSweeping();
      if (db.open) db.close();
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
