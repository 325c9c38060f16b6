import type { Logger } from '@parley/logger';
import type { TurnRelay } from '../coordination/redis-turn-relay.ts';
import { eventJson, type WireEvent } from './turn-events.ts';

/** How long deltas gather before one relay entry carries them: bounds entries per turn and Redis load. */
const DELTA_FLUSH_MS = 50;

/**
 * Publishes a running turn's events to the relay in order, merging the deltas of each 50 ms. Events that
 * come while a publish is in flight (or in the same tick) go out together in one round trip, so a fast
 * turn costs two publishes (`started`, then the reply and `done`) rather than one per event. A relay failure stops publishing for this turn (logged once): followers on other replicas then
 * time out, while this replica's own clients are unaffected.
 */
export class RelayPublisher {
  readonly #relay: TurnRelay;
  readonly #key: string;
  readonly #logger: Logger;
  #pending = '';
  #timer: NodeJS.Timeout | undefined;
  #batch: string[] = [];
  #sending: Promise<void> | undefined;
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
    await this.#sending;
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
    this.#batch.push(json);
    this.#sending ??= this.#send();
  }

  async #send(): Promise<void> {
    // One microtask first: events published in the same tick join this batch.
    await undefined;
    while (this.#batch.length > 0 && !this.#failed) {
      const events = this.#batch.splice(0);
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
