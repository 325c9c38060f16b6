import type { Logger } from '@parley/logger';
import { LeaseLock, type Leases } from './lease-lock.ts';
import type { RedisCommands } from './redis-commands.ts';

// Release and extend only while we still own the lock: the value is our token.
const RELEASE =
  "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";
const EXTEND =
  "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end";

export interface RedisLockOptions {
  redis: RedisCommands;
  logger: Logger;
  keyPrefix?: string;
  /** The lock expires this long after its holder stops renewing it (a crashed replica). */
  leaseMs?: number;
  /** How long a caller waits for the lock before giving up with `aborted`. */
  waitMs?: number;
}

/**
 * A lease lock in Redis (`SET key token NX PX lease`, released with a compare-and-delete), so replicas
 * take turns on a conversation; see {@link LeaseLock}.
 */
export class RedisLock extends LeaseLock {
  constructor(options: RedisLockOptions) {
    const { redis, keyPrefix = '', ...rest } = options;
    super({ ...rest, store: 'redis', leases: redisLeases(redis, `${keyPrefix}lock:`) });
  }
}

function redisLeases(redis: RedisCommands, prefix: string): Leases {
  return {
    acquire: async (key, token, leaseMs) =>
      (await redis.set(prefix + key, token, { NX: true, PX: leaseMs })) !== null,
    extend: async (key, token, leaseMs) => {
      await redis.eval(EXTEND, { keys: [prefix + key], arguments: [token, String(leaseMs)] });
    },
    release: async (key, token) => {
      await redis.eval(RELEASE, { keys: [prefix + key], arguments: [token] });
    },
  };
}
