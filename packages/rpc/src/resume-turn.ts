import { RpcError } from '@protobuf-ts/runtime-rpc';
import { TurnEvent } from './gen/parley/chat/v1/chat.ts';
import { isBrokenStream } from './stream.ts';

/**
 * Waits before each re-attach: the first comes quickly, inside the server's grace (750 ms) for a client
 * that reconnects, so the turn keeps running; the later ones give a restarting server time to come back.
 */
export const RESUME_DELAYS_MS = [100, 500, 1_000, 2_000, 4_000];

export interface ResumeOptions {
  /** Opens the turn's stream: the same request (same `request_id`) every time. */
  open: () => AsyncIterable<TurnEvent>;
  /** Aborting stops the turn: no more re-attaching. */
  signal?: AbortSignal;
  /** Told once per re-attach that picked the turn up again; `restarted` when its text began anew. */
  onResumed: (how: { restarted: boolean }) => void;
  delaysMs?: readonly number[];
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/**
 * The turn's events, across dropped connections. When the stream breaks in transit after the turn began
 * (a network cut, a server restart), the same request is sent again, a bounded number of times with
 * backoff: the server re-attaches it to the running turn (or answers the finished one) and replays it
 * from `started`. What was already passed on is not passed on again: text by its length, tool events by
 * id and phase, `started` once. A server that lost the turn runs it anew; its text then starts over
 * (`restarted`), since what was printed cannot be taken back.
 */
export async function* resumeOnDrop(options: ResumeOptions): AsyncGenerator<TurnEvent> {
  const { signal, delaysMs = RESUME_DELAYS_MS, sleep = abortableSleep } = options;
  const seen = new Seen();
  for (let attempt = 0; ; attempt++) {
    const attachment = new Attachment(seen, attempt > 0);
    try {
      for await (const event of options.open()) {
        if (attempt > 0 && attachment.first) options.onResumed({ restarted: false });
        const fresh = attachment.pass(event);
        if (attachment.restarted) options.onResumed({ restarted: true });
        yield* fresh;
      }
      return;
    } catch (err) {
      const delay = delaysMs[attempt];
      if (delay === undefined || signal?.aborted || !seen.began || !resumable(err)) throw err;
      await sleep(delay, signal);
    }
  }
}

/**
 * Worth re-attaching: the connection broke, or the server stopped the turn to restart and asks for the
 * same request_id (an `unavailable` that says so). Other errors are the server's answer.
 */
function resumable(err: unknown): boolean {
  if (isBrokenStream(err)) return true;
  return err instanceof RpcError && err.code === 'unavailable' && /same request_id/.test(err.message);
}

/** What the caller has been given so far, over every attachment. */
class Seen {
  text = '';
  readonly tools = new Set<string>();
  began = false;
}

/** One connection's events, checked against what was given before. */
class Attachment {
  /** True until this connection's first event has been passed through {@link pass}. */
  first = true;
  /** Set by the delta that showed this connection's text does not continue what was shown. */
  restarted = false;
  #text = '';
  #diverged = false;

  constructor(
    private readonly seen: Seen,
    /** A re-attach, after a drop (the first connection's events pass as they are). */
    private readonly resumed: boolean,
  ) {}

  /** The events to pass on for one received: none when all was given already, a delta cut to the new. */
  pass(event: TurnEvent): TurnEvent[] {
    this.first = false;
    this.restarted = false;
    const { seen } = this;
    const e = event.event;
    switch (e.oneofKind) {
      case 'started':
        if (seen.began) return [];
        seen.began = true;
        return [event];
      case 'delta':
        return this.#delta(e.delta.text);
      case 'tool': {
        const key = `${e.tool.id}:${e.tool.phase}`;
        if (seen.tools.has(key)) return [];
        seen.tools.add(key);
        return [event];
      }
      case 'done': {
        // A turn that finished while we were away is answered with `started` and `done` only: the text
        // missed meanwhile is in the reply.
        const content = this.resumed ? (e.done.reply?.content ?? '') : '';
        const missing = content.startsWith(seen.text) ? content.slice(seen.text.length) : '';
        return missing ? [...this.#delta(missing), event] : [event];
      }
      default:
        return [event];
    }
  }

  #delta(text: string): TurnEvent[] {
    const { seen } = this;
    this.#text += text;
    if (this.#diverged) {
      seen.text = this.#text;
      return [delta(text)];
    }
    const known = seen.text;
    if (this.#text.length <= known.length && known.startsWith(this.#text)) return [];
    if (this.#text.startsWith(known)) {
      seen.text = this.#text;
      return [delta(this.#text.slice(known.length))];
    }
    // The text does not continue what was shown: the server ran the turn again. Show it from its start.
    this.#diverged = true;
    this.restarted = true;
    seen.text = this.#text;
    return [delta(this.#text)];
  }
}

function delta(text: string): TurnEvent {
  return TurnEvent.create({ event: { oneofKind: 'delta', delta: { text } } });
}

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}
