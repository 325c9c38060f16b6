import type { ServerResponse } from 'node:http';
import type { PublicError } from '../errors/public-error.ts';
import type { TurnEvent } from '../turns/turn-event.ts';
import { sseFrame } from './turn-wire.ts';

export interface SseStreamOptions {
  /** A comment line goes out after this long without anything written (proxies drop idle streams). */
  keepAliveMs: number;
  /** A client that lets more than this many bytes queue up is dropped rather than buffered for. */
  maxBufferedBytes: number;
}

/**
 * One Server-Sent Events response carrying a turn's events. Writes never buffer without end: while the
 * socket is full, deltas are merged into one pending piece (order kept), and a reader so slow that the
 * queue passes `maxBufferedBytes` is disconnected.
 */
export class SseStream {
  readonly #res: ServerResponse;
  readonly #options: SseStreamOptions;
  readonly #queue: string[] = [];
  #queuedBytes = 0;
  #pendingDelta = '';
  #waiting = false;
  #wroteSinceTick = false;
  #corked = false;
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

  /** Sends the status line and headers; events may follow. */
  open(): void {
    this.#res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      // nginx buffers responses unless told not to.
      'x-accel-buffering': 'no',
    });
    this.#res.flushHeaders();
    this.#keepAlive = setInterval(() => this.#tick(), this.#options.keepAliveMs);
    this.#res.once('close', () => clearInterval(this.#keepAlive));
  }

  send(event: TurnEvent): void {
    if (this.#res.destroyed) return;
    if (!this.#waiting) {
      const text = this.#frame(event);
      if (text) this.#write(text);
      return;
    }
    if (event.type === 'delta') {
      this.#pendingDelta += event.text;
      this.#queuedBytes += event.text.length;
    } else {
      this.#queuePendingDelta();
      this.#enqueue(this.#frame(event));
    }
    if (this.#queuedBytes + this.#res.writableLength > this.#options.maxBufferedBytes) this.#drop();
  }

  /** Ends the response once everything queued is written. */
  end(): void {
    clearInterval(this.#keepAlive);
    this.#uncork();
    if (!this.#waiting) {
      this.#res.end();
      return;
    }
    this.#res.once('drain', () => this.#res.end());
  }

  #write(text: string): void {
    this.#wroteSinceTick = true;
    // Events ready in the same tick (a network read often carries several model chunks) leave in one
    // socket write instead of one writev each.
    if (!this.#corked) {
      this.#corked = true;
      this.#res.cork();
      process.nextTick(this.#uncork);
    }
    if (this.#res.write(text)) return;
    if (this.#res.writableLength > this.#options.maxBufferedBytes) {
      this.#drop();
      return;
    }
    this.#waiting = true;
    this.#res.once('drain', () => this.#flush());
  }

  // Also called by end(), before the response ends: after that the socket may serve the next response.
  readonly #uncork = () => {
    if (!this.#corked) return;
    this.#corked = false;
    this.#res.uncork();
  };

  #flush(): void {
    this.#waiting = false;
    this.#queuePendingDelta();
    const text = this.#queue.splice(0).join('');
    this.#queuedBytes = 0;
    if (text) this.#write(text);
  }

  #queuePendingDelta(): void {
    if (!this.#pendingDelta) return;
    this.#queue.push(this.#frame({ type: 'delta', text: this.#pendingDelta }));
    this.#pendingDelta = '';
  }

  #enqueue(text: string): void {
    this.#queue.push(text);
    this.#queuedBytes += text.length;
  }

  #tick(): void {
    if (!this.#wroteSinceTick && !this.#waiting) this.#res.write(': keep-alive\n\n');
    this.#wroteSinceTick = false;
  }

  #drop(): void {
    clearInterval(this.#keepAlive);
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
