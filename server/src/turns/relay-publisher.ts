import type { Logger } from '@parley/logger';
import type { TurnRelay } from '../coordination/turn-relay.ts';
import { encodeEvent, isFinal, type TurnEvent } from './turn-event.ts';

/**
 * How long events gather before one relay write carries them: bounds the writes of a followed turn and
 * the load on Redis or the pool's primary (at model speed, 5 writes a second, not 20).
 */
const FLUSH_MS = 200;

/** Where a running turn's events go for listeners in other processes. */
export interface TurnOutlet {
  push(event: TurnEvent): void;
  /** Publishes what is pending and waits for every publish to settle. */
  close(): Promise<void>;
}

/**
 * The outlet of a turn with a key: a {@link RelayPublisher} from the start, or, when the relay carries a
 * turn only once another process follows it (`offer`), nothing until then; from then on the turn's
 * events so far (`replay`) and a publisher for the rest.
 */
export function relayOutlet(
  relay: TurnRelay,
  key: string,
  logger: Logger,
  replay: () => readonly TurnEvent[],
): TurnOutlet {
  if (!relay.offer) return new RelayPublisher(relay, key, logger);
  let publisher: RelayPublisher | undefined;
  const offer = relay.offer(key, () => {
    publisher = new RelayPublisher(relay, key, logger);
    return replay().map(encodeEvent);
  });
  return {
    push: (event) => publisher?.push(event),
    async close() {
      await publisher?.close();
      offer.withdraw();
    },
  };
}

/**
 * Publishes a running turn's events to the relay in order. Events gather for up to 200 ms (deltas merged)
 * and go out together in one round trip, as do events that come while a write is in flight; the last
 * event goes out at once. A turn answered within 200 ms costs one write. A relay failure stops publishing
 * for this turn (logged once): followers on other replicas then time out, while this replica's own
 * clients are unaffected.
 */
export class RelayPublisher implements TurnOutlet {
  readonly #relay: TurnRelay;
  readonly #key: string;
  readonly #logger: Logger;
  #pendingText = '';
  #gathered: string[] = [];
  #ready: string[] = [];
  #timer: NodeJS.Timeout | undefined;
  #sending: Promise<void> | undefined;
  #failed = false;

  constructor(relay: TurnRelay, key: string, logger: Logger) {
    this.#relay = relay;
    this.#key = key;
    this.#logger = logger;
  }

  push(event: TurnEvent): void {
    if (this.#failed) return;
    if (event.type === 'delta') {
      this.#pendingText += event.text;
    } else {
      this.#gatherText();
      this.#gathered.push(encodeEvent(event));
    }
    if (isFinal(event)) this.#flush();
    else this.#timer ??= setTimeout(() => this.#flush(), FLUSH_MS);
  }

  /** Publishes what is pending and waits for every publish to settle. */
  async close(): Promise<void> {
    this.#flush();
    await this.#sending;
  }

  #gatherText(): void {
    if (!this.#pendingText) return;
    this.#gathered.push(encodeEvent({ type: 'delta', text: this.#pendingText }));
    this.#pendingText = '';
  }

  #flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#gatherText();
    if (this.#failed || this.#gathered.length === 0) return;
    this.#ready.push(...this.#gathered.splice(0));
    this.#sending ??= this.#send();
  }

  async #send(): Promise<void> {
    while (this.#ready.length > 0 && !this.#failed) {
      const events = this.#ready.splice(0);
      try {
        await this.#relay.publish(this.#key, events);
      } catch (err) {
        this.#logger.warn({ err }, 'could not relay turn events; other replicas cannot follow');
        this.#failed = true;
      }
    }
    this.#sending = undefined;
  }
}
