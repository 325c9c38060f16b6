/** What one paced send reports back: a Telegram 429 asks for a pause before the next one. */
export interface PacedSendResult {
  retryAfterMs?: number;
}

export interface PacerOptions<T> {
  /** Least time between the end of one send and the start of the next. */
  intervalMs: number;
  /** Time from creation before the first send: a reply that finishes sooner needs no preview at all. */
  firstDelayMs?: number;
  /** Shows a value. It must not throw: failures are the sender's to handle (and may ask for a pause). */
  send: (value: T) => Promise<PacedSendResult | undefined>;
  /**
   * Asked when a send is due: 0 takes the slot (the send goes now), more says how many milliseconds to
   * wait before asking again. Lets a budget shared with others stretch the interval; the newest value
   * keeps waiting meanwhile.
   */
  acquire?: () => number;
}

/**
 * Sends the latest of a stream of values at a bounded rate. Values that arrive while waiting replace one
 * another (only the newest is worth showing), so however fast the model writes, Telegram sees at most one
 * call per interval. The interval is counted from the end of a send, so calls arrive at least that far
 * apart whatever the network does; a `retryAfterMs` answer pushes the next send out by that much.
 */
export class Pacer<T> {
  readonly #send: PacerOptions<T>['send'];
  readonly #acquire: PacerOptions<T>['acquire'];
  #intervalMs: number;
  /** Earliest `Date.now()` of the next send. */
  #nextAt: number;
  #pending: { value: T } | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #inFlight: Promise<void> | undefined;
  #stopped = false;
  #sends = 0;

  constructor(options: PacerOptions<T>) {
    this.#send = options.send;
    this.#acquire = options.acquire;
    this.#intervalMs = options.intervalMs;
    this.#nextAt = Date.now() + (options.firstDelayMs ?? 0);
  }

  /** Changes the interval from the next send on (a chat that refused drafts gets edits, which go slower). */
  set intervalMs(ms: number) {
    this.#intervalMs = ms;
  }

  /** How many sends have started. */
  get sends(): number {
    return this.#sends;
  }

  /** Offers the newest value; it is sent when the rate allows, unless a newer one replaces it first. */
  push(value: T): void {
    if (this.#stopped) return;
    this.#pending = { value };
    this.#schedule();
  }

  /** Drops whatever is still waiting and resolves once a send in flight has finished. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#pending = undefined;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#inFlight;
  }

  /** Resolves when the rate allows the next call (for a final call made outside the pacer). */
  async ready(): Promise<void> {
    await this.#inFlight;
    const wait = this.#nextAt - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }

  #schedule(): void {
    if (this.#timer || this.#inFlight || !this.#pending) return;
    this.#timer = setTimeout(() => this.#fire(), Math.max(0, this.#nextAt - Date.now()));
  }

  #fire(): void {
    this.#timer = undefined;
    const pending = this.#pending;
    if (!pending || this.#stopped) return;
    const wait = this.#acquire?.() ?? 0;
    if (wait > 0) {
      // Never a busy loop, and an unreachable chat (an infinite wait) is asked again now and then.
      this.#timer = setTimeout(() => this.#fire(), Math.min(Math.max(wait, 50), 60_000));
      return;
    }
    this.#pending = undefined;
    this.#sends++;
    this.#inFlight = this.#send(pending.value).then(
      (result) => this.#settle(result?.retryAfterMs ?? 0),
      () => this.#settle(0),
    );
  }

  #settle(retryAfterMs: number): void {
    this.#inFlight = undefined;
    this.#nextAt = Date.now() + Math.max(this.#intervalMs, retryAfterMs);
    if (!this.#stopped) this.#schedule();
  }
}
