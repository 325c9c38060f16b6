import type { Logger } from '@parley/logger';
import { createClient, ErrorReply, type RedisClientType } from 'redis';
import { UnavailableError } from '../errors/app-error.ts';

export type RedisClient = RedisClientType;

export interface RedisConnectionOptions {
  url: string;
  logger: Logger;
  /** Prepended to every key by the stores sharing this client (tenants, test runs). Default ''. */
  keyPrefix?: string;
  /** Longest a command may take, from the call to the reply. Default 500 ms. */
  commandTimeoutMs?: number;
  /** Longest a TCP connect (plus handshake) may take. Default 2000 ms. */
  connectTimeoutMs?: number;
  /** Cap of the exponential reconnect delay. Default 5000 ms. */
  maxReconnectDelayMs?: number;
  /** While Redis stays unreachable, at most one error line per this interval. Default 30 s. */
  errorLogIntervalMs?: number;
}

/**
 * One shared Redis client that fails fast: commands are rejected at once while disconnected and after
 * `commandTimeoutMs` while connected, so a request never waits on Redis. The connection is made and
 * remade in the background, forever, with a capped exponential delay. Sessions, locks, idempotency keys
 * and caches all reuse this one connection; only its creator calls `close()`.
 */
export interface RedisConnection {
  readonly client: RedisClient;
  readonly keyPrefix: string;
  readonly commandTimeoutMs: number;
  /**
   * Runs `command` under the command timeout. Connection problems and timeouts reject with an
   * UnavailableError (cause attached); an error reply from Redis (e.g. WRONGTYPE) rejects as is.
   */
  run<T>(command: (client: RedisClient) => Promise<T>): Promise<T>;
  /** True while connected and past the handshake. */
  isReady(): boolean;
  /**
   * Settles when the first connection attempt is over, connected or failed (never rejects; bounded by
   * the connect timeout). A server awaits it before serving: else a freshly (re)started one would run its
   * first requests without Redis (a retry unguarded by its request_id) for want of a moment.
   */
  firstAttempt(): Promise<void>;
  /** PING under the command timeout, for readiness. */
  ping(): Promise<void>;
  /** Waits for commands in flight through `run` (bounded by the timeout), then drops the connection. */
  close(): Promise<void>;
}

const DEFAULTS = {
  keyPrefix: '',
  commandTimeoutMs: 500,
  connectTimeoutMs: 2000,
  maxReconnectDelayMs: 5000,
  errorLogIntervalMs: 30_000,
} as const;

/** Bounds memory when Redis is wedged: commands written but never answered wait in this queue. */
const MAX_QUEUED_COMMANDS = 10_000;

/** Creates the client and starts connecting without waiting, so the server starts when Redis is down. */
export function createRedisClient(options: RedisConnectionOptions): RedisConnection {
  const settings = { ...DEFAULTS, ...withoutUndefined(options) };
  const client: RedisClient = createClient({
    url: settings.url,
    // Reject commands while disconnected instead of queueing them until Redis returns.
    disableOfflineQueue: true,
    commandsQueueMaxLength: MAX_QUEUED_COMMANDS,
    // No node-redis command timeout: it only covers a command's wait to be written to the socket, and
    // makes an AbortSignal.timeout per command that still fires (and builds a DOMException) after the
    // reply came; `run` (and the rate limiter's own deadline) bound every command from the call to the
    // reply.
    socket: {
      connectTimeout: settings.connectTimeoutMs,
      reconnectStrategy: (retries) => reconnectDelay(retries, settings.maxReconnectDelayMs),
    },
  });
  const log = watchConnection(client, settings.logger, settings.errorLogIntervalMs);
  const firstAttempt = new Promise<void>((resolve) => {
    client.once('ready', () => resolve());
    client.once('error', () => resolve());
    client.connect().catch((err: unknown) => {
      log.error(err);
      resolve();
    });
  });
  const { run, drain } = runner(client, settings.commandTimeoutMs);
  return {
    client,
    keyPrefix: settings.keyPrefix,
    commandTimeoutMs: settings.commandTimeoutMs,
    run,
    isReady: () => client.isReady,
    firstAttempt: () => firstAttempt,
    ping: async () => {
      await run((c) => c.ping());
    },
    close: async () => {
      await drain();
      // destroy(), not close(): close() waits for replies that a wedged server never sends.
      if (client.isOpen) client.destroy();
    },
  };
}

/** `run` with the deadline, and `drain`: waits for the calls in flight, each bounded by the deadline. */
function runner(client: RedisClient, timeoutMs: number) {
  const inFlight = new Set<Promise<void>>();
  const run = <T>(command: (client: RedisClient) => Promise<T>): Promise<T> => {
    if (!client.isReady) return Promise.reject(new UnavailableError('Redis is not connected'));
    // A synchronous throw (bad arguments) becomes a rejection like any other failure.
    const call = withDeadline(new Promise<T>((resolve) => resolve(command(client))), timeoutMs);
    const settled: Promise<void> = call.then(
      () => void inFlight.delete(settled),
      () => void inFlight.delete(settled),
    );
    inFlight.add(settled);
    return call;
  };
  return { run, drain: async () => void (await Promise.all(inFlight)) };
}

/** Exponential from 100 ms, capped, with jitter so replicas do not reconnect in lockstep. Never gives up. */
export function reconnectDelay(retries: number, maxDelayMs: number): number {
  const base = Math.min(100 * 2 ** Math.min(retries, 20), maxDelayMs);
  return Math.round(base * (0.8 + Math.random() * 0.2));
}

/**
 * Rejects after `ms` with UnavailableError. The command itself cannot be withdrawn once written (Redis
 * answers in order, so its reply must still be read); its late outcome is swallowed here.
 */
function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new UnavailableError(`Redis did not answer within ${ms} ms`)), ms);
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(
          err instanceof ErrorReply ? err : new UnavailableError('Redis command failed', { cause: err }),
        );
      },
    );
  });
}

/**
 * Logs connection trouble without flooding: a lost connection retries every few seconds and node-redis
 * emits `error` for every attempt. An `error` listener must exist, or EventEmitter throws and the process
 * dies.
 */
function watchConnection(
  client: RedisClient,
  logger: Logger,
  intervalMs: number,
): { error(err: unknown): void } {
  let lastLoggedAt = Number.NEGATIVE_INFINITY;
  let suppressed = 0;
  let failing = false;
  const error = (err: unknown): void => {
    const now = Date.now();
    if (failing && now - lastLoggedAt < intervalMs) {
      suppressed++;
      return;
    }
    logger.warn({ err, suppressed }, failing ? 'Redis still unreachable' : 'Redis connection failed');
    failing = true;
    lastLoggedAt = now;
    suppressed = 0;
  };
  client.on('error', error);
  client.on('ready', () => {
    if (failing) logger.info({ suppressed }, 'Redis connection restored');
    else logger.info('Redis connected');
    failing = false;
    suppressed = 0;
  });
  return { error };
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
