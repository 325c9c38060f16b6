import { RELAY_MESSAGE, type ToHubBody, type ToWorker, type ToWorkerBody } from './cluster-relay-messages.ts';

/** How the hub reaches the workers of its pool. */
export interface HubTransport {
  /** Sends to one worker; a worker that is gone misses it. */
  send(worker: number, message: ToWorker): void;
  /** The ids of the workers alive now. */
  workers(): readonly number[];
}

export interface TurnRelayHubOptions {
  transport: HubTransport;
  /** Events kept per turn; a longer log is dropped (its readers still get the live events). */
  maxEvents?: number;
  /** How long a turn's log outlives its last event while nobody reads it: a later retry reads it whole. */
  ttlMs?: number;
  /** Characters of events kept for all turns together; the least recently written logs are dropped. */
  maxChars?: number;
  /** How long an attendance mark lasts unless sent again (the worker renews it every third of this). */
  attendMs?: number;
  /**
   * How long the workers have to answer `want` (a worker still starting, or stuck, never does): then the
   * turn's readers learn that nothing follows.
   */
  askMs?: number;
}

/** A turn that a worker follows, as the hub knows it. */
interface Followed {
  key: string;
  events: string[];
  chars: number;
  /** The log was dropped (too long, or the hub's cap): readers there still get live events, new ones none. */
  truncated: boolean;
  readers: Set<string>;
  /** `asking`: the workers not yet answered `want`; `running`: the owner publishes; `ended`: it is over. */
  state: 'asking' | 'running' | 'ended';
  asked: Set<number>;
  /** The worker that replayed the turn and publishes it (-1 while asking). */
  owner: number;
  touchedAt: number;
}

/**
 * The cluster primary's part of re-attaching across the workers of one pool (WORKERS > 1 without Redis).
 * Nothing reaches it for a turn nobody follows elsewhere: the first reader of a turn makes it ask every other
 * worker (`want`); the one running the turn replays its events so far and publishes the rest, which the
 * hub keeps (bounded: per turn, in total, and for `ttlMs` after the last event) and forwards to each
 * reader. Attendance marks expire unless renewed, and a worker that exits loses its readers and marks;
 * its unfinished turns end their readers.
 */
export class TurnRelayHub {
  readonly #transport: HubTransport;
  readonly #maxEvents: number;
  readonly #ttlMs: number;
  readonly #maxChars: number;
  readonly #attendMs: number;
  readonly #askMs: number;
  /** By key, least recently written first. */
  readonly #turns = new Map<string, Followed>();
  readonly #readers = new Map<string, { worker: number; reader: number; key: string }>();
  readonly #marks = new Map<string, Map<string, { worker: number; expiresAt: number }>>();
  #chars = 0;
  #sweeper: NodeJS.Timeout | undefined;

  constructor(options: TurnRelayHubOptions) {
    this.#transport = options.transport;
    this.#maxEvents = options.maxEvents ?? 1_000;
    this.#ttlMs = options.ttlMs ?? 120_000;
    this.#maxChars = options.maxChars ?? 16 * 1024 * 1024;
    this.#attendMs = options.attendMs ?? 3_000;
    this.#askMs = options.askMs ?? 5_000;
  }

  /** Handles one message from `worker`. */
  receive(worker: number, message: ToHubBody): void {
    switch (message.op) {
      case 'read':
        this.#read(worker, message.reader, message.key);
        break;
      case 'unread':
        this.#unread(`${worker}:${message.reader}`);
        break;
      case 'replay':
        this.#replay(worker, message.key, message.events);
        break;
      case 'none':
        this.#none(worker, message.key);
        break;
      case 'publish':
        this.#publish(worker, message.key, message.events);
        break;
      case 'end':
        this.#end(worker, message.key);
        break;
      case 'attend':
        this.#attend(worker, message.key, message.mark);
        break;
      case 'leave':
        this.#marks.get(message.key)?.delete(`${worker}:${message.mark}`);
        break;
      case 'ask':
        this.#send(worker, { op: 'answer', id: message.id, attended: this.#attended(message.key) });
        break;
    }
  }

  /** A worker exited: its readers and marks go; readers of the turns it ran learn that nothing follows. */
  workerGone(worker: number): void {
    for (const [ref, reader] of this.#readers) {
      if (reader.worker === worker) this.#unread(ref);
    }
    for (const marks of this.#marks.values()) {
      for (const [ref, mark] of marks) if (mark.worker === worker) marks.delete(ref);
    }
    for (const turn of this.#turns.values()) {
      if (turn.state === 'asking' && turn.asked.delete(worker)) this.#askedEveryone(turn);
      else if (turn.state === 'running' && turn.owner === worker) this.#drop(turn);
    }
  }

  /** Stops the sweeper (the pool is stopping). */
  close(): void {
    clearInterval(this.#sweeper);
    this.#sweeper = undefined;
  }

  #read(worker: number, reader: number, key: string): void {
    const ref = `${worker}:${reader}`;
    let turn = this.#turns.get(key);
    if (turn?.truncated) {
      this.#send(worker, { op: 'gone', reader });
      return;
    }
    if (!turn) {
      // Not the reader's own worker: a turn running there would have been joined there.
      const workers = this.#transport.workers().filter((w) => w !== worker);
      turn = {
        key,
        events: [],
        chars: 0,
        truncated: false,
        readers: new Set(),
        state: 'asking',
        asked: new Set(workers),
        owner: -1,
        touchedAt: Date.now(),
      };
      this.#turns.set(key, turn);
      this.#sweep();
      for (const to of workers) this.#send(to, { op: 'want', key });
    }
    turn.readers.add(ref);
    this.#readers.set(ref, { worker, reader, key });
    if (turn.state === 'asking') this.#askedEveryone(turn);
    if (turn.events.length > 0) this.#send(worker, { op: 'events', reader, events: turn.events });
  }

  #unread(ref: string): void {
    const reader = this.#readers.get(ref);
    if (!reader) return;
    this.#readers.delete(ref);
    this.#turns.get(reader.key)?.readers.delete(ref);
  }

  #replay(worker: number, key: string, events: readonly string[]): void {
    const turn = this.#turns.get(key);
    if (turn?.state !== 'asking') return;
    turn.state = 'running';
    turn.owner = worker;
    turn.asked.clear();
    this.#append(turn, events);
  }

  #none(worker: number, key: string): void {
    const turn = this.#turns.get(key);
    if (turn?.state === 'asking' && turn.asked.delete(worker)) this.#askedEveryone(turn);
  }

  /** Nobody runs a turn every worker was asked about: it ended before anyone replayed it. */
  #askedEveryone(turn: Followed): void {
    if (turn.asked.size === 0) this.#drop(turn);
  }

  #publish(worker: number, key: string, events: readonly string[]): void {
    const turn = this.#turns.get(key);
    if (turn?.state === 'running' && turn.owner === worker) this.#append(turn, events);
  }

  #end(worker: number, key: string): void {
    const turn = this.#turns.get(key);
    if (turn?.state === 'running' && turn.owner === worker) turn.state = 'ended';
  }

  #append(turn: Followed, events: readonly string[]): void {
    for (const ref of turn.readers) {
      const reader = this.#readers.get(ref);
      if (reader) this.#send(reader.worker, { op: 'events', reader: reader.reader, events });
    }
    turn.touchedAt = Date.now();
    // Most recently written last: the cap drops the logs written least recently.
    this.#turns.delete(turn.key);
    this.#turns.set(turn.key, turn);
    if (turn.truncated) return;
    let chars = 0;
    for (const event of events) chars += event.length;
    turn.events.push(...events);
    turn.chars += chars;
    this.#chars += chars;
    if (turn.events.length > this.#maxEvents) this.#truncate(turn);
    for (const oldest of this.#turns.values()) {
      if (this.#chars <= this.#maxChars) break;
      this.#truncate(oldest);
    }
  }

  /** Frees a turn's log; its readers keep the live events, and a turn nobody reads is forgotten. */
  #truncate(turn: Followed): void {
    this.#chars -= turn.chars;
    turn.events = [];
    turn.chars = 0;
    turn.truncated = true;
    if (turn.readers.size === 0) this.#turns.delete(turn.key);
  }

  /** Forgets a turn and tells its readers nothing more comes. */
  #drop(turn: Followed): void {
    this.#chars -= turn.chars;
    this.#turns.delete(turn.key);
    for (const ref of turn.readers) {
      const reader = this.#readers.get(ref);
      this.#readers.delete(ref);
      if (reader) this.#send(reader.worker, { op: 'gone', reader: reader.reader });
    }
  }

  #attend(worker: number, key: string, mark: number): void {
    let marks = this.#marks.get(key);
    if (!marks) {
      marks = new Map();
      this.#marks.set(key, marks);
    }
    marks.set(`${worker}:${mark}`, { worker, expiresAt: Date.now() + this.#attendMs });
    this.#sweep();
  }

  #attended(key: string): boolean {
    const marks = this.#marks.get(key);
    if (!marks) return false;
    const now = Date.now();
    for (const [ref, mark] of marks) if (mark.expiresAt <= now) marks.delete(ref);
    if (marks.size === 0) this.#marks.delete(key);
    return marks.size > 0;
  }

  /**
   * Runs while the hub holds anything: drops unread logs past their TTL, turns no worker answered for,
   * and expired marks.
   */
  #sweep(): void {
    if (this.#sweeper) return;
    this.#sweeper = setInterval(
      () => {
        const now = Date.now();
        for (const turn of this.#turns.values()) {
          const idle = now - turn.touchedAt;
          const unanswered = turn.state === 'asking' && idle >= this.#askMs;
          if (unanswered || (turn.readers.size === 0 && idle >= this.#ttlMs)) this.#drop(turn);
        }
        for (const key of this.#marks.keys()) this.#attended(key);
        if (this.#turns.size === 0 && this.#marks.size === 0) this.close();
      },
      Math.min(this.#ttlMs, this.#attendMs, this.#askMs),
    );
    this.#sweeper.unref();
  }

  #send(worker: number, message: ToWorkerBody): void {
    this.#transport.send(worker, { type: RELAY_MESSAGE, ...message } as ToWorker);
  }
}
