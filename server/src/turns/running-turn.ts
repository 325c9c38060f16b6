import { isFinal, type TurnEvent } from './turn-event.ts';

/** Someone waiting on a turn's events: a streaming response, or a unary call collecting them. */
export interface TurnListener {
  /** Each event in order; the last is `done` or `error`. */
  onEvent(event: TurnEvent): void;
  /** Fires when this request's client is gone. */
  readonly signal: AbortSignal;
  /** Labels the disconnect counter: `sse` or `unary`. */
  readonly transport: string;
}

/** One listener's view of a turn: resolves `finished` at its last event or when its client leaves. */
export class Delivery {
  readonly finished: Promise<void>;
  readonly #listener: TurnListener;
  readonly #leaveHandlers: Array<() => void> = [];
  #resolve!: () => void;
  #over = false;
  #left = false;

  constructor(listener: TurnListener) {
    this.#listener = listener;
    this.finished = new Promise<void>((resolve) => {
      this.#resolve = resolve;
    });
    if (listener.signal.aborted) this.#leave();
    else listener.signal.addEventListener('abort', this.#leave, { once: true });
  }

  get over(): boolean {
    return this.#over;
  }

  get transport(): string {
    return this.#listener.transport;
  }

  send(event: TurnEvent): void {
    if (this.#over) return;
    this.#listener.onEvent(event);
    if (!isFinal(event)) return;
    this.#end();
  }

  /** True when the client left before the last event. */
  get left(): boolean {
    return this.#left;
  }

  /** Runs `fn` if the client leaves before the last event (at once when it already has). */
  onLeave(fn: () => void): void {
    if (this.#left) fn();
    else if (!this.#over) this.#leaveHandlers.push(fn);
  }

  readonly #leave = () => {
    if (this.#over) return;
    this.#left = true;
    this.#end();
    for (const fn of this.#leaveHandlers.splice(0)) fn();
  };

  #end(): void {
    this.#over = true;
    this.#listener.signal.removeEventListener('abort', this.#leave);
    this.#resolve();
  }
}

/**
 * A turn running in this process and everyone following it. Its log keeps what a re-attaching request
 * must replay, with consecutive deltas merged (so it grows with the reply's text, not its chunk count).
 * When the last listener leaves, the turn is aborted after a short grace, unless a client reconnected
 * here or follows it from another process.
 */
export class RunningTurn {
  readonly controller = new AbortController();
  readonly #log: TurnEvent[] = [];
  /** Text of the deltas since the last other event: the log's next delta, once something else comes. */
  #text = '';
  readonly #listeners = new Set<Delivery>();
  readonly #graceMs: number;
  readonly #onDisconnect: (transport: string) => void;
  readonly #attendedElsewhere: (() => Promise<boolean>) | undefined;
  #grace: NodeJS.Timeout | undefined;
  #finished = false;

  constructor(options: {
    graceMs: number;
    onDisconnect: (transport: string) => void;
    /** Whether a listener in another process follows this turn (through the relay). */
    attendedElsewhere?: () => Promise<boolean>;
  }) {
    this.#graceMs = options.graceMs;
    this.#onDisconnect = options.onDisconnect;
    this.#attendedElsewhere = options.attendedElsewhere;
  }

  attach(delivery: Delivery): void {
    for (const event of this.replay()) delivery.send(event);
    if (this.#finished || (delivery.over && !delivery.left)) return;
    clearTimeout(this.#grace);
    this.#listeners.add(delivery);
    delivery.onLeave(() => this.#leave(delivery));
  }

  /** The events so far, as a re-attaching listener receives them (consecutive deltas merged). */
  replay(): TurnEvent[] {
    return this.#text ? [...this.#log, { type: 'delta', text: this.#text }] : [...this.#log];
  }

  publish(event: TurnEvent): void {
    this.#remember(event);
    for (const delivery of this.#listeners) delivery.send(event);
  }

  finish(): void {
    this.#finished = true;
    clearTimeout(this.#grace);
    this.#listeners.clear();
  }

  #remember(event: TurnEvent): void {
    if (event.type === 'delta') {
      this.#text += event.text;
      return;
    }
    if (this.#text) this.#log.push({ type: 'delta', text: this.#text });
    this.#text = '';
    this.#log.push(event);
  }

  #leave(delivery: Delivery): void {
    if (!this.#listeners.delete(delivery) || this.#finished) return;
    this.#onDisconnect(delivery.transport);
    if (this.#listeners.size > 0) return;
    this.#waitForListeners();
  }

  /**
   * After the grace, the turn is cut short unless a listener came back here or one follows it from
   * another process (asked again after each grace while one does).
   */
  #waitForListeners(): void {
    this.#grace = setTimeout(async () => {
      const elsewhere = await this.#attendedElsewhere?.().catch(() => false);
      if (this.#finished || this.#listeners.size > 0) return;
      if (elsewhere) this.#waitForListeners();
      else this.controller.abort(new Error('every client left'));
    }, this.#graceMs);
  }
}
