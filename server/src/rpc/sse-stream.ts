import type { ServerResponse } from 'node:http';
import type { PublicError } from '../errors/public-error.ts';
import type { TurnEvent } from '../turns/turn-event.ts';
import type { Flushable, FlushClock } from './flush-clock.ts';
import { sseFrame } from './turn-wire.ts';

export interface SseStreamOptions {
  /** A comment line goes out after this long without anything written (proxies drop idle streams). */
  keepAliveMs: number;
  /** A client that lets more than this many bytes queue up is dropped rather than buffered for. */
  maxBufferedBytes: number;
  /** Writes every stream's merged text once per short window. */
  clock: FlushClock;
}

/**
 * One Server-Sent Events response carrying a turn's events. The first text goes out at once; later text
 * gathers until the flush clock's next tick (one `delta` frame for all of it), and any other event goes
 * out at once, after the text before it. While the socket is full everything waits, merged, in order; a
 * reader so slow that more than `maxBufferedBytes` would queue up is disconnected.
 */
export class SseStream implements Flushable {
  readonly #res: ServerResponse;
  readonly #options: SseStreamOptions;
  /** Frames ready to write, in order, before `#text`. */
  #frames = '';
  /** Text of deltas not yet framed. */
  #text = '';
  #toldText = false;
  #waiting = false;
  #ending = false;
  #wroteSinceTick = false;
  #keepAlive: NodeJS.Timeout | undefined;
  readonly #frame: (event: TurnEvent) => string;

  /**
   * `frame` writes one event as SSE text ('' skips it): Parley's own frames by default; another front
   * door (the OpenAI-compatible one) passes its own.
   */
  constructor(
    res: ServerResponse,
    options: SseStreamOptions,
    frame: (event: TurnEvent) => string = sseFrame,
  ) {
    this.#res = res;
    this.#options = options;
    this.#frame = frame;
  }

  /** Sets the status line and headers; they leave with the first event written (one write, not two). */
  open(): void {
    this.#res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      // nginx buffers responses unless told not to.
      'x-accel-buffering': 'no',
    });
    this.#keepAlive = setInterval(() => this.#tick(), this.#options.keepAliveMs);
    this.#res.once('close', () => {
      clearInterval(this.#keepAlive);
      this.#options.clock.cancel(this);
    });
  }

  send(event: TurnEvent): void {
    if (this.#res.destroyed) return;
    if (event.type === 'delta') {
      this.#text += event.text;
      if (!this.#toldText) {
        // The first text never waits for a window.
        this.#toldText = true;
        this.flush();
      } else if (!this.#waiting) this.#options.clock.schedule(this);
    } else {
      this.#frameText();
      this.#frames += this.#frame(event);
      this.flush();
    }
    if (this.#frames.length + this.#text.length + this.#res.writableLength > this.#options.maxBufferedBytes) {
      this.#drop();
    }
  }

  /** Ends the response once everything queued is written. */
  end(): void {
    clearInterval(this.#keepAlive);
    this.#options.clock.cancel(this);
    this.#ending = true;
    this.flush();
  }

  /** Writes what is pending (unless the socket is full); ends the response when asked to and done. */
  flush(): void {
    if (this.#waiting || this.#res.destroyed) return;
    this.#frameText();
    const text = this.#frames;
    this.#frames = '';
    if (text && this.#ending) {
      // The last frames and the end of the response leave in one write.
      this.#res.end(text);
      return;
    }
    if (text) {
      this.#wroteSinceTick = true;
      if (!this.#res.write(text)) {
        this.#waiting = true;
        this.#res.once('drain', () => {
          this.#waiting = false;
          this.flush();
        });
        return;
      }
    }
    if (!text && !this.#res.headersSent) {
      // An event that writes nothing (a front door's frames may skip one) still opens the stream.
      this.#res.flushHeaders();
    }
    if (this.#ending) this.#res.end();
  }

  #frameText(): void {
    if (!this.#text) return;
    this.#frames += this.#frame({ type: 'delta', text: this.#text });
    this.#text = '';
  }

  #tick(): void {
    if (!this.#wroteSinceTick && !this.#waiting) this.#res.write(': keep-alive\n\n');
    this.#wroteSinceTick = false;
  }

  #drop(): void {
    clearInterval(this.#keepAlive);
    this.#options.clock.cancel(this);
    this.#res.destroy();
  }
}

export interface TurnStreamOptions extends SseStreamOptions {
  /** Told when a stream opens (+1) and closes (-1). */
  onStreamsOpen?: (delta: number) => void;
}

/**
 * A turn listener's `onEvent` that relays the turn to `res` as Server-Sent Events: the response opens at
 * the first event (`beforeOpen` may set headers from it), and a turn that fails before that answers
 * with `refuse` (an ordinary error response). Every front door's streams go through here.
 */
export function relayToStream(
  res: ServerResponse,
  context: { code?: string },
  options: TurnStreamOptions,
  hooks: {
    refuse(error: PublicError): void;
    beforeOpen?(event: TurnEvent): void;
    frame?: (event: TurnEvent) => string;
  },
): (event: TurnEvent) => void {
  let stream: SseStream | undefined;
  return (event) => {
    if (!stream) {
      if (event.type === 'error') return hooks.refuse(event.error);
      hooks.beforeOpen?.(event);
      stream = new SseStream(res, options, hooks.frame);
      stream.open();
      options.onStreamsOpen?.(1);
      res.once('close', () => options.onStreamsOpen?.(-1));
    }
    if (event.type === 'error') context.code = event.error.code;
    stream.send(event);
    if (event.type === 'done' || event.type === 'error') stream.end();
  };
}
