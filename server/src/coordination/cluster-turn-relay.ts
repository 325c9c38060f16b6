import type { Logger } from '@parley/logger';
import {
  isRelayMessage,
  RELAY_MESSAGE,
  type ToHub,
  type ToHubBody,
  type ToWorkerBody,
} from './cluster-relay-messages.ts';
import type { TurnRelay } from './turn-relay.ts';

/** The IPC channel of a pool worker to its primary (`process` in a node:cluster worker). */
export interface RelayChannel {
  send(message: ToHub): void;
  /** Calls `listener` with every message from the primary until the returned function is called. */
  onMessage(listener: (message: unknown) => void): () => void;
  /** Calls `listener` once the channel is gone (the primary died), until the returned function is called. */
  onClose(listener: () => void): () => void;
}

export interface ClusterTurnRelayOptions {
  channel: RelayChannel;
  logger: Logger;
  /** How long an attendance mark lasts in the primary; renewed every third of it. */
  attendMs?: number;
  /** How long `attended` waits for the primary's answer before it counts as no. */
  askTimeoutMs?: number;
}

/** One reader's events as they come from the primary; `undefined` marks the end. */
interface ReaderQueue {
  batches: Array<readonly string[] | undefined>;
  wake: (() => void) | undefined;
}

/**
 * Re-attaching across the workers of one pool without Redis: the worker's side of the cluster primary's
 * TurnRelayHub. A turn costs nothing here until a reader in another worker asks for it (`offer`): then
 * its events so far go to the primary, and the rest as they are published. Readers, attendance marks and
 * questions travel as IPC messages; the primary forgets a worker's marks when it exits.
 */
export class ClusterTurnRelay implements TurnRelay {
  readonly #channel: RelayChannel;
  readonly #logger: Logger;
  readonly #attendMs: number;
  readonly #askTimeoutMs: number;
  readonly #offers = new Map<string, { replay: () => readonly string[]; replayed: boolean }>();
  readonly #readers = new Map<number, ReaderQueue>();
  /** Pending questions to the primary: answered, or `undefined` when it is gone. */
  readonly #asks = new Map<number, (attended: boolean | undefined) => void>();
  readonly #stopListening: () => void;
  #ids = 0;
  #closed = false;

  constructor(options: ClusterTurnRelayOptions) {
    this.#channel = options.channel;
    this.#logger = options.logger;
    this.#attendMs = options.attendMs ?? 3_000;
    this.#askTimeoutMs = options.askTimeoutMs ?? 1_000;
    const stopMessages = this.#channel.onMessage((message) => {
      if (isRelayMessage(message)) this.#receive(message as unknown as ToWorkerBody);
    });
    // Without the primary nothing more can come: followers answer from the turn's record instead.
    const stopClose = this.#channel.onClose(() => this.close());
    this.#stopListening = () => {
      stopMessages();
      stopClose();
    };
  }

  offer(key: string, replay: () => readonly string[]): { withdraw(): void } {
    const offer = { replay, replayed: false };
    this.#offers.set(key, offer);
    return {
      withdraw: () => {
        if (this.#offers.get(key) === offer) this.#offers.delete(key);
        if (offer.replayed) this.#send({ op: 'end', key });
      },
    };
  }

  async publish(key: string, events: readonly string[]): Promise<void> {
    this.#send({ op: 'publish', key, events });
  }

  async *read(key: string, options: { signal: AbortSignal; idleMs: number }): AsyncGenerator<string> {
    const reader = ++this.#ids;
    const queue: ReaderQueue = { batches: [], wake: undefined };
    this.#readers.set(reader, queue);
    if (this.#closed) queue.batches.push(undefined);
    const wake = () => queue.wake?.();
    options.signal.addEventListener('abort', wake, { once: true });
    this.#send({ op: 'read', key, reader });
    try {
      while (!options.signal.aborted) {
        if (queue.batches.length === 0 && !(await this.#arrival(queue, options.idleMs))) return;
        const batch = queue.batches.shift();
        if (!batch) return;
        yield* batch;
      }
    } finally {
      options.signal.removeEventListener('abort', wake);
      this.#readers.delete(reader);
      this.#send({ op: 'unread', reader });
    }
  }

  attend(key: string): { leave(): void } {
    const mark = ++this.#ids;
    const renew = () => this.#send({ op: 'attend', key, mark });
    renew();
    const timer = setInterval(renew, this.#attendMs / 3);
    return {
      leave: () => {
        clearInterval(timer);
        this.#send({ op: 'leave', key, mark });
      },
    };
  }

  attended(key: string): Promise<boolean> {
    const id = ++this.#ids;
    if (this.#closed) return Promise.reject(new Error('no cluster primary to ask'));
    return new Promise<boolean>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#asks.delete(id);
        reject(new Error('the cluster primary did not answer'));
      }, this.#askTimeoutMs);
      this.#asks.set(id, (attended) => {
        clearTimeout(timer);
        if (attended === undefined) reject(new Error('no cluster primary to ask'));
        else resolve(attended);
      });
      this.#send({ op: 'ask', key, id });
    });
  }

  /** Stops listening to the primary: readers end, questions fail. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopListening();
    for (const queue of this.#readers.values()) {
      queue.batches.push(undefined);
      queue.wake?.();
    }
    for (const answer of this.#asks.values()) answer(undefined);
    this.#asks.clear();
  }

  /** Resolves true when events (or the end) came, false after `idleMs` of nothing or an abort. */
  #arrival(queue: ReaderQueue, idleMs: number): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => done(), idleMs);
      const done = () => {
        clearTimeout(timer);
        queue.wake = undefined;
        resolve(queue.batches.length > 0);
      };
      queue.wake = done;
    });
  }

  #receive(message: ToWorkerBody): void {
    switch (message.op) {
      case 'want':
        this.#wanted(message.key);
        break;
      case 'events':
      case 'gone': {
        const queue = this.#readers.get(message.reader);
        queue?.batches.push(message.op === 'events' ? message.events : undefined);
        queue?.wake?.();
        return;
      }
      case 'answer':
        this.#asks.get(message.id)?.(message.attended);
        this.#asks.delete(message.id);
        return;
    }
  }

  /** Another worker reads a turn: if it runs here (and was not replayed yet), replay it. */
  #wanted(key: string): void {
    const offer = this.#offers.get(key);
    if (!offer || offer.replayed) {
      this.#send({ op: 'none', key });
      return;
    }
    offer.replayed = true;
    let events: readonly string[];
    try {
      events = offer.replay();
    } catch (err) {
      this.#logger.warn({ err }, 'could not replay a turn for another worker');
      this.#send({ op: 'none', key });
      return;
    }
    this.#send({ op: 'replay', key, events });
  }

  #send(message: ToHubBody): void {
    this.#channel.send({ type: RELAY_MESSAGE, ...message } as ToHub);
  }
}
