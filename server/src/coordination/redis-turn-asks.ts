import { randomUUID } from 'node:crypto';
import type { Logger } from '@parley/logger';
import type { RedisClient, RedisConnection } from '../redis/redis-client.ts';

export interface RedisTurnAsksOptions {
  redis: RedisConnection;
  logger: Logger;
  /** The channels' names start with it (the relay's key prefix: replicas of other tenants never hear). */
  channelPrefix: string;
  /**
   * A follower asks for `key`: the id of this run of the turn (its stream's name ends with it) once the
   * turn, running in this process, has its events so far written out for the follower; undefined when
   * it does not run here (or they could not be written).
   */
  runsHere(key: string): Promise<string | undefined>;
}

/**
 * What a question found: `{ run }` (a process runs the turn and has written this run of it out),
 * `nobody` (every process that heard it said the turn does not run there), `silent` (no verdict in
 * time, or the follower left).
 */
export type Verdict = { run: string } | 'nobody' | 'silent';

/** One follower's question: who heard it, and how many said the turn does not run there. */
interface Pending {
  receivers: number | undefined;
  nones: number;
  answer(run: string | undefined): void;
}

/** The answer of a process that does not run the turn (a run's id is a UUID). */
const NONE = 'none';

/** What a follower's question says, on the `want` channel. */
interface Want {
  key: string;
  ask: string;
  from: string;
}

/**
 * How a follower finds the replica running a turn, over Redis pub/sub: each process that offers or
 * follows turns subscribes (one connection of its own: a subscribed connection runs nothing else) to
 * the `want` channel and to its own answer channel. A follower publishes `want`; PUBLISH answers how
 * many processes heard it; the one running the turn answers on the follower's channel with the run's id
 * once it has written the turn out, each other one `none`. When every one that heard it said none, the turn runs
 * nowhere (it just ended, or its process died).
 */
export class RedisTurnAsks {
  readonly #redis: RedisConnection;
  readonly #logger: Logger;
  readonly #runsHere: (key: string) => Promise<string | undefined>;
  readonly #id = randomUUID();
  readonly #channelPrefix: string;
  readonly #wantChannel: string;
  readonly #answerChannel: string;
  readonly #pending = new Map<string, Pending>();
  #subscriber: RedisClient | undefined;
  #listening: Promise<void> | undefined;
  #closed = false;

  constructor(options: RedisTurnAsksOptions) {
    this.#redis = options.redis;
    this.#logger = options.logger;
    this.#runsHere = options.runsHere;
    this.#channelPrefix = options.channelPrefix;
    this.#wantChannel = `${options.channelPrefix}want`;
    this.#answerChannel = `${options.channelPrefix}answer:${this.#id}`;
  }

  /**
   * Subscribes, once per process, in the background: settles once subscribed. While Redis is down the
   * connection keeps retrying (errors only logged); node-redis subscribes again after a reconnect.
   */
  listen(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#listening ??= this.#subscribe();
    return this.#listening;
  }

  /**
   * Asks every process for `key` on `client` (the follower's own connection) and resolves with the
   * verdict, within about `waitMs` (first for this process's subscription, else its answers would be
   * missed; then for the answers), or `silent` once `signal` aborts.
   */
  async ask(client: RedisClient, key: string, waitMs: number, signal: AbortSignal): Promise<Verdict> {
    const id = randomUUID();
    let decide: (verdict: Verdict) => void = () => {};
    const verdict = new Promise<Verdict>((resolve) => (decide = resolve));
    const pending: Pending = {
      receivers: undefined,
      nones: 0,
      answer(run) {
        if (run) decide({ run });
        else pending.nones++;
        if (pending.receivers !== undefined && pending.nones >= pending.receivers) decide('nobody');
      },
    };
    const leave = () => decide('silent');
    signal.addEventListener('abort', leave, { once: true });
    let timer: NodeJS.Timeout | undefined;
    this.#pending.set(id, pending);
    try {
      await within(this.listen(), waitMs);
      timer = setTimeout(leave, waitMs);
      const want: Want = { key, ask: id, from: this.#id };
      pending.receivers = Number(await client.publish(this.#wantChannel, JSON.stringify(want)));
      if (pending.nones >= pending.receivers) decide('nobody');
      return await verdict;
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', leave);
      this.#pending.delete(id);
    }
  }

  /** Unsubscribes for good (shutdown). */
  close(): void {
    this.#closed = true;
    if (this.#subscriber?.isOpen) this.#subscriber.destroy();
  }

  async #subscribe(): Promise<void> {
    const client = this.#redis.client.duplicate() as RedisClient;
    this.#subscriber = client;
    client.on('error', (err: unknown) => this.#logger.debug({ err }, 'turn relay subscriber error'));
    const channels = [this.#wantChannel, this.#answerChannel];
    const listener = (message: string, channel: string) => this.#heard(message, channel);
    try {
      await client.connect();
    } catch (err) {
      this.#logger.debug({ err }, 'turn relay subscriber closed');
      return;
    }
    // Disconnected between connecting and subscribing: again once it is back.
    while (!this.#closed) {
      try {
        await client.subscribe(channels, listener);
        return;
      } catch (err) {
        this.#logger.debug({ err }, 'could not subscribe to turn relay questions');
        await new Promise((resolve) => client.once('ready', resolve));
      }
    }
  }

  #heard(message: string, channel: string): void {
    if (channel === this.#answerChannel) {
      const [ask, run] = message.split(' ');
      this.#pending.get(ask ?? '')?.answer(run === NONE ? undefined : run);
      return;
    }
    const want = parseWant(message);
    if (want) void this.#answer(want);
  }

  async #answer(want: Want): Promise<void> {
    const run = await this.#runsHere(want.key);
    if (want.from === this.#id) {
      this.#pending.get(want.ask)?.answer(run);
      return;
    }
    const channel = `${this.#channelPrefix}answer:${want.from}`;
    const answer = `${want.ask} ${run ?? NONE}`;
    await this.#redis
      .run((client) => client.publish(channel, answer))
      .catch((err: unknown) => this.#logger.debug({ err }, 'could not answer a turn relay question'));
  }
}

function parseWant(message: string): Want | undefined {
  try {
    const want = JSON.parse(message) as Partial<Want>;
    const { key, ask, from } = want;
    if (typeof key === 'string' && typeof ask === 'string' && typeof from === 'string') {
      return { key, ask, from };
    }
  } catch {
    // Not ours: the channel is under the key prefix, but anyone may publish there.
  }
  return undefined;
}

/** Settles when `promise` does or after `ms`, whichever is first. */
async function within(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
