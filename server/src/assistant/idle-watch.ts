/**
 * Aborts after `ms` without a `touch()`. Coarse on purpose: a touch only notes the time (no timer is
 * cleared and set again per chunk); the one timer, when it fires, re-arms for what is left of the window.
 */
export class IdleWatch {
  readonly #controller = new AbortController();
  readonly #ms: number;
  #last = performance.now();
  #timer: NodeJS.Timeout;

  constructor(ms: number) {
    this.#ms = ms;
    this.#timer = setTimeout(this.#check, ms);
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  readonly touch = (): void => {
    this.#last = performance.now();
  };

  stop(): void {
    clearTimeout(this.#timer);
  }

  readonly #check = (): void => {
    const quiet = performance.now() - this.#last;
    if (quiet >= this.#ms) this.#controller.abort();
    else this.#timer = setTimeout(this.#check, this.#ms - quiet);
  };
}
