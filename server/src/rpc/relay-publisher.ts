import type { Logger } from '@parley/logger';
import type { TurnRelay } from '../coordination/redis-turn-relay.ts';
import { eventJson, type WireEvent } from './turn-events.ts';

/** How long deltas gather before one relay entry carries them: bounds entries per turn and Redis load. */
const DELTA_FLUSH_MS = 50;

/**
 * Publishes a running turn's events to the relay in order, one at a time, merging the deltas of each
 * 50 ms. A relay failure stops publishing for this turn (logged once): followers on other replicas then
 * time out, while this replica's own clients are unaffected.
 */
export class RelayPublisher {
  readonly #relay: TurnRelay;
  readonly #key: string;
  readonly #logger: Logger;
  #pending = '';
  #timer: NodeJS.Timeout | undefined;
  #chain: Promise<void> = Promise.resolve();
  #failed = false;

  constructor(relay: TurnRelay, key: string, logger: Logger) {
    this.#relay = relay;
    this.#key = key;
    this.#logger = logger;
  }

  push(event: WireEvent): void {
    if (event.oneofKind === 'delta') {
      this.#pending += event.delta.text;
      this.#timer ??= setTimeout(() => this.#flushDeltas(), DELTA_FLUSH_MS);
      return;
    }
    this.#flushDeltas();
    this.#enqueue(eventJson(event));
  }

  /** Publishes what is pending and waits for every publish to settle. */
  async close(): Promise<void> {
    this.#flushDeltas();
    await this.#chain;
  }

  #flushDeltas(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (!this.#pending) return;
    this.#enqueue(eventJson({ oneofKind: 'delta', delta: { text: this.#pending } }));
    this.#pending = '';
  }

  #enqueue(json: string): void {
    if (this.#failed) return;
    this.#chain = this.#chain
      .then(() => this.#relay.publish(this.#key, json))
      .catch((err: unknown) => {
        if (!this.#failed)
          this.#logger.warn({ err }, 'could not relay turn events; other replicas cannot follow');
        this.#failed = true;
      });
  }
}
