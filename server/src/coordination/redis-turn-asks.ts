import { randomUUID } from 'node:crypto';
import type { Logger } from '@parley/logger';
import type { RedisClient, RedisConnection } from '../redis/redis-client.ts';

export interface RedisTurnAsksOptions {
  redis: RedisConnection;
  logger: Logger;
  /** The channels' names start with it (the relay's key prefix: replicas of other tenants never hear). */
  channelPrefix: string;
  /**
   * A follower asks for `key`: true when the turn runs in this process (which then writes it out for
   * the follower), false when it does not (answered so the follower need not wait).
   */
  runsHere(key: string): boolean;
}

/** One follower's question: who heard it, and how many said the turn does not run there. */
interface Pending {
  receivers: number | undefined;
  nones: number;
  nobody: boolean;
  none(): void;
}

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
 * many processes heard it; each that does not run the turn answers `none` on the follower's channel. When
 * every one that heard it said none, the turn runs nowhere (it just ended, or its process died).
 */
export class RedisTurnAsks {
  readonly #redis: RedisConnection;
  readonly #logger: Logger;
  readonly #runsHere: (key: string) => boolean;
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
   * Starts a question for `key`; `onNobody` is called once every process that heard it answered that
   * the turn does not run there. `send` publishes it on `client` (the follower's own connection), after
   * waiting up to `waitMs` for this process's subscription (else its answers would be missed).
   */
  ask(
    key: string,
    onNobody: () => void,
  ): { send(client: RedisClient, waitMs: number): Promise<void>; nobody(): boolean; end(): void } {
    const id = randomUUID();
    const pending: Pending = {
      receivers: undefined,
      nones: 0,
      nobody: false,
      none() {
        pending.nones++;
        check();
      },
    };
    const check = () => {
      if (pending.nobody || pending.receivers === undefined || pending.nones < pending.receivers) return;
      pending.nobody = true;
      onNobody();
    };
    this.#pending.set(id, pending);
    return {
      send: async (client, waitMs) => {
        await within(this.listen(), waitMs);
        const want: Want = { key, ask: id, from: this.#id };
        pending.receivers = Number(await client.publish(this.#wantChannel, JSON.stringify(want)));
        check();
      },
      nobody: () => pending.nobody,
      end: () => this.#pending.delete(id),
    };
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
      this.#pending.get(message)?.none();
      return;
    }
    const want = parseWant(message);
    if (!want || this.#runsHere(want.key)) return;
    if (want.from === this.#id) {
      this.#pending.get(want.ask)?.none();
      return;
    }
    const answer = `${this.#channelPrefix}answer:${want.from}`;
    this.#redis
      .run((client) => client.publish(answer, want.ask))
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
