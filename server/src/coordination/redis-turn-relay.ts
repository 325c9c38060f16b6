import type { Logger } from '@parley/logger';
import type { RedisClient, RedisConnection } from '../redis/redis-client.ts';

/** Carries a running turn's events to requests on other replicas that re-attach to it. */
export interface TurnRelay {
  /** Appends events (JSON, in order) to the turn's log in one round trip; resolves once stored. */
  publish(key: string, events: readonly string[]): Promise<void>;
  /**
   * The turn's events from the first, then as they are published, until the reader stops (after the last
   * event), `signal` aborts, or nothing arrives for `idleMs` (the running replica died).
   */
  read(key: string, options: { signal: AbortSignal; idleMs: number }): AsyncGenerator<string>;
}

export interface RedisTurnRelayOptions {
  redis: RedisConnection;
  logger: Logger;
  keyPrefix?: string;
  /** Entries kept per turn (approximately); deltas are coalesced before publishing, so few are needed. */
  maxEvents?: number;
  /** How long a turn's log outlives its last event: long enough for a retry to read the end. */
  ttlMs?: number;
}

const BLOCK_MS = 1_000;

/**
 * A turn's events in a Redis Stream (`XADD` with `MAXLEN ~` and a TTL) that readers on any replica
 * `XREAD BLOCK` from the start. Blocking reads hold a connection, so each reader gets its own (re-attaching
 * across replicas is rare); publishing goes through the shared fail-fast connection.
 */
export class RedisTurnRelay implements TurnRelay {
  readonly #redis: RedisConnection;
  readonly #logger: Logger;
  readonly #prefix: string;
  readonly #maxEvents: number;
  readonly #ttlMs: number;

  constructor(options: RedisTurnRelayOptions) {
    this.#redis = options.redis;
    this.#logger = options.logger;
    this.#prefix = `${options.keyPrefix ?? ''}turn:`;
    this.#maxEvents = options.maxEvents ?? 1_000;
    this.#ttlMs = options.ttlMs ?? 120_000;
  }

  async publish(key: string, events: readonly string[]): Promise<void> {
    const streamKey = this.#prefix + key;
    const trim = { strategy: 'MAXLEN', strategyModifier: '~', threshold: this.#maxEvents } as const;
    await this.#redis.run((client) => {
      const batch = client.multi();
      for (const event of events) batch.xAdd(streamKey, '*', { e: event }, { TRIM: trim });
      return batch.pExpire(streamKey, this.#ttlMs).exec();
    });
  }

  async *read(key: string, options: { signal: AbortSignal; idleMs: number }): AsyncGenerator<string> {
    const client = this.#redis.client.duplicate() as RedisClient;
    client.on('error', (err: unknown) => this.#logger.debug({ err }, 'turn relay reader connection error'));
    const stop = () => client.destroy();
    options.signal.addEventListener('abort', stop, { once: true });
    try {
      await client.connect();
      let lastId = '0-0';
      let quietSince = Date.now();
      while (!options.signal.aborted && Date.now() - quietSince < options.idleMs) {
        const entries = await readBatch(client, this.#prefix + key, lastId);
        for (const entry of entries) {
          lastId = entry.id;
          quietSince = Date.now();
          yield entry.event;
        }
      }
    } finally {
      options.signal.removeEventListener('abort', stop);
      if (client.isOpen) client.destroy();
    }
  }
}

async function readBatch(
  client: RedisClient,
  streamKey: string,
  after: string,
): Promise<Array<{ id: string; event: string }>> {
  const reply = (await client.xRead(
    { key: streamKey, id: after },
    { BLOCK: BLOCK_MS, COUNT: 100 },
  )) as Array<{
    messages: Array<{ id: string; message: Record<string, string> }>;
  }> | null;
  return (reply ?? []).flatMap((stream) =>
    stream.messages.map((m) => ({ id: m.id, event: m.message.e ?? '' })),
  );
}
