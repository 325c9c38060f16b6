import { randomUUID } from 'node:crypto';
import type { Logger } from '@parley/logger';
import type { RedisClient, RedisConnection } from '../redis/redis-client.ts';
import { RedisTurnAsks } from './redis-turn-asks.ts';
import type { TurnRelay } from './turn-relay.ts';

export interface RedisTurnRelayOptions {
  redis: RedisConnection;
  logger: Logger;
  keyPrefix?: string;
  /** Entries kept per turn (approximately); deltas are coalesced before publishing, so few are needed. */
  maxEvents?: number;
  /** How long a turn's log outlives its last event: long enough for a retry to read the end. */
  ttlMs?: number;
  /**
   * How long a follower waits for the replicas' answers: only a replica that is stuck (or lost its
   * subscription) leaves it waiting that long; the others answer at once.
   */
  askMs?: number;
  /**
   * A follower that has read nothing for this long asks the replicas again whether the turn still runs
   * there: a replica that died mid-turn ends its followers' reads in seconds, not after the turn's
   * deadline. Default 3 s.
   */
  quietAskMs?: number;
}

const BLOCK_MS = 1_000;

/** How long one attendance mark lasts without being renewed; renewed every third of it. */
const ATTEND_MS = 3_000;

// A sorted set per turn: each attending listener, scored by when its mark runs out (Redis's clock).
const ATTEND = `
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], 2 * tonumber(ARGV[2]))
return 1`;
const ATTENDED = `
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
return redis.call('ZCARD', KEYS[1])`;

/** A turn running here that no other replica followed yet (`written` unset), or one it writes out. */
interface Offer {
  replay: () => readonly string[];
  /**
   * Its stream: the turn's key and this run's id, so that a follower of a retry never reads the events
   * of an earlier, failed run of the same request.
   */
  run: string;
  /** The write of its events so far, once a follower asked: later writes go after it, or not at all. */
  written?: Promise<void>;
}

/**
 * A turn's events in a Redis Stream (`XADD` with `MAXLEN ~` and a TTL) that readers on any replica
 * `XREAD BLOCK` from the start, written only once someone follows the turn from another replica: a
 * running turn is offered in this process's memory; a follower asks every replica over pub/sub
 * (RedisTurnAsks), and the one running the turn writes its events so far, then the rest, while the others
 * answer that it does not run there. Blocking reads hold a connection, so each reader gets its own
 * (re-attaching across replicas is rare); writes go through the shared fail-fast connection.
 */
export class RedisTurnRelay implements TurnRelay {
  readonly #redis: RedisConnection;
  readonly #logger: Logger;
  readonly #prefix: string;
  readonly #maxEvents: number;
  readonly #ttlMs: number;
  readonly #askMs: number;
  readonly #quietAskMs: number;
  readonly #offers = new Map<string, Offer>();
  readonly #asks: RedisTurnAsks;

  constructor(options: RedisTurnRelayOptions) {
    this.#redis = options.redis;
    this.#logger = options.logger;
    this.#prefix = `${options.keyPrefix ?? ''}turn:`;
    this.#maxEvents = options.maxEvents ?? 1_000;
    this.#ttlMs = options.ttlMs ?? 120_000;
    this.#askMs = options.askMs ?? 2_000;
    this.#quietAskMs = options.quietAskMs ?? 3_000;
    this.#asks = new RedisTurnAsks({
      redis: options.redis,
      logger: options.logger,
      channelPrefix: `${this.#prefix}relay:`,
      runsHere: (key) => this.#wanted(key),
    });
  }

  offer(key: string, replay: () => readonly string[]): { withdraw(): void } {
    const offer: Offer = { replay, run: randomUUID() };
    this.#offers.set(key, offer);
    // Only a replica that listens can be asked; connecting once per process, not per turn.
    this.#asks.listen();
    return {
      withdraw: () => {
        if (this.#offers.get(key) === offer) this.#offers.delete(key);
      },
    };
  }

  async publish(key: string, events: readonly string[]): Promise<void> {
    const offer = this.#offers.get(key);
    // After the events so far (a failed write of those fails the rest: no stream with a gap).
    if (offer?.written) await offer.written;
    await this.#write(this.#stream(key, offer?.run), events);
  }

  attend(key: string): { leave(): void } {
    return attendance(this.#redis, `${this.#prefix}attend:${key}`, this.#logger);
  }

  async attended(key: string): Promise<boolean> {
    const setKey = `${this.#prefix}attend:${key}`;
    const count = await this.#redis.run((client) => client.eval(ATTENDED, { keys: [setKey] }));
    return Number(count) > 0;
  }

  async *read(key: string, options: { signal: AbortSignal; idleMs: number }): AsyncGenerator<string> {
    const client = this.#redis.client.duplicate() as RedisClient;
    client.on('error', (err: unknown) => this.#logger.debug({ err }, 'turn relay reader connection error'));
    const stop = () => client.destroy();
    options.signal.addEventListener('abort', stop, { once: true });
    try {
      await client.connect();
      const waitMs = Math.min(this.#askMs, options.idleMs);
      // No run named: the turn runs nowhere (or nobody said so in time); the caller answers from its record.
      const verdict = await this.#asks.ask(client, key, waitMs, options.signal);
      if (typeof verdict !== 'object') return;
      const streamKey = this.#stream(key, verdict.run);
      let lastId = '0-0';
      let quietSince = Date.now();
      let askedAt = quietSince;
      let last = false;
      while (!options.signal.aborted && Date.now() - quietSince < options.idleMs) {
        if (!last && Date.now() - Math.max(quietSince, askedAt) >= this.#quietAskMs) {
          askedAt = Date.now();
          const again = await this.#asks.ask(client, key, waitMs, options.signal);
          // Its replica no longer runs this run (it died, or the turn ended just now): what it wrote
          // before is read without waiting, then the read ends.
          last = again === 'nobody' || (typeof again === 'object' && again.run !== verdict.run);
        }
        const entries = await readBatch(client, streamKey, lastId, last ? undefined : BLOCK_MS);
        for (const entry of entries) {
          lastId = entry.id;
          quietSince = Date.now();
          yield entry.event;
        }
        if (last && entries.length === 0) return;
      }
    } finally {
      options.signal.removeEventListener('abort', stop);
      if (client.isOpen) client.destroy();
    }
  }

  /** Stops listening for followers' questions (shutdown). */
  close(): void {
    this.#asks.close();
  }

  /**
   * A follower on another replica asks for `key`: the run's id once its events so far are in its stream
   * (an earlier follower's ask may have written them), undefined when it does not run here or they could
   * not be written.
   */
  async #wanted(key: string): Promise<string | undefined> {
    const offer = this.#offers.get(key);
    if (!offer) return undefined;
    offer.written ??= this.#writeOut(key, offer);
    return offer.written.then(
      () => offer.run,
      () => undefined,
    );
  }

  /** The turn's events so far into its stream; the rest follow through `publish`. */
  #writeOut(key: string, offer: Offer): Promise<void> {
    let events: readonly string[];
    try {
      events = offer.replay();
    } catch (err) {
      this.#logger.warn({ err }, 'could not replay a turn for another replica');
      return Promise.reject(err);
    }
    const written = events.length > 0 ? this.#write(this.#stream(key, offer.run), events) : Promise.resolve();
    written.catch((err: unknown) =>
      this.#logger.warn({ err }, 'could not relay a turn that another replica follows'),
    );
    return written;
  }

  /** The stream of one run of a turn (the key alone for a write without an offer). */
  #stream(key: string, run: string | undefined): string {
    return run ? `${this.#prefix}${key}:${run}` : this.#prefix + key;
  }

  async #write(streamKey: string, events: readonly string[]): Promise<void> {
    const trim = { strategy: 'MAXLEN', strategyModifier: '~', threshold: this.#maxEvents } as const;
    await this.#redis.run((client) => {
      const batch = client.multi();
      for (const event of events) batch.xAdd(streamKey, '*', { e: event }, { TRIM: trim });
      return batch.pExpire(streamKey, this.#ttlMs).exec();
    });
  }
}

/** Attendance marks: renewed on a timer until left; a failure to mark is only logged (the turn may end). */
function attendance(redis: RedisConnection, setKey: string, logger: Logger): { leave(): void } {
  const id = randomUUID();
  const mark = () =>
    redis
      .run((client) => client.eval(ATTEND, { keys: [setKey], arguments: [id, String(ATTEND_MS)] }))
      .catch((err: unknown) => logger.debug({ err }, 'could not mark a turn as attended'));
  void mark();
  const timer = setInterval(() => void mark(), ATTEND_MS / 3);
  return {
    leave() {
      clearInterval(timer);
      void redis.run((client) => client.zRem(setKey, id)).catch(() => undefined);
    },
  };
}

/** The stream's entries after `after`: up to 100, waiting up to `blockMs` for some (none: no wait). */
async function readBatch(
  client: RedisClient,
  streamKey: string,
  after: string,
  blockMs: number | undefined,
): Promise<Array<{ id: string; event: string }>> {
  const reply = (await client.xRead(
    { key: streamKey, id: after },
    blockMs === undefined ? { COUNT: 100 } : { BLOCK: blockMs, COUNT: 100 },
  )) as Array<{
    messages: Array<{ id: string; message: Record<string, string> }>;
  }> | null;
  return (reply ?? []).flatMap((stream) =>
    stream.messages.map((m) => ({ id: m.id, event: m.message.e ?? '' })),
  );
}
