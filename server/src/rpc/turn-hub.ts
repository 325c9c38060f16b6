import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@parley/logger';
import type { TurnScope } from '../conversations/turn-scope.ts';
import type { IdempotencyStore } from '../coordination/idempotency-store.ts';
import type { TurnRelay } from '../coordination/redis-turn-relay.ts';
import { AppError, tooLong, UnavailableError } from '../errors/app-error.ts';
import { toTwirpError } from './errors.ts';
import { type IdempotentCall, keyOf } from './idempotency.ts';
import { RelayPublisher } from './relay-publisher.ts';
import { Delivery, RunningTurn, type TurnListener } from './running-turn.ts';
import {
  decodeRecord,
  encodeRecord,
  errorEvent,
  parseEventJson,
  toWireEvent,
  type WireEvent,
} from './turn-events.ts';

/** One request for a turn: who asks (the idempotency key) and how to run it if nobody is running it yet. */
export interface TurnRequest {
  call: IdempotentCall;
  requestId: string;
  logger: Logger;
  /** Runs the turn, its events going to `scope.emit`; resolves with its `done` event. */
  run(scope: TurnScope, retryOfFailure: boolean): Promise<WireEvent>;
}

export interface TurnHubDeps {
  store: IdempotencyStore;
  /** Re-attaching across replicas (Redis Streams); without it, only within this process. */
  relay?: TurnRelay;
  logger: Logger;
  /** How long a turn nobody listens to keeps running, for a client reconnecting. Default 750 ms. */
  graceMs?: number;
  /** A turn's overall deadline, below clients' own (120 s), retries of the model included. Default 110 s. */
  turnTimeoutMs?: number;
  /** How long a request waits for a turn running on another replica when there is no relay. Default 15 s. */
  waitMs?: number;
  /** Metrics hooks. */
  events?: { firstToken?(seconds: number): void; disconnect?(transport: string): void };
}

/**
 * Runs turns and lets several requests follow one: every streaming or unary request for a turn joins it
 * here. A request whose `request_id` names a turn running in this process re-attaches to it (the events so
 * far, then the rest); one running on another replica is followed through the relay; a finished one
 * answers from its idempotency record. The model is called once per turn. When every follower has left,
 * the turn is aborted after a short grace, so a client that hangs up stops paying for the model.
 */
export class TurnHub {
  readonly #deps: TurnHubDeps;
  readonly #running = new Map<string, RunningTurn>();
  readonly #executing = new Set<Promise<void>>();
  readonly #graceMs: number;
  readonly #turnTimeoutMs: number;

  constructor(deps: TurnHubDeps) {
    this.#deps = deps;
    this.#graceMs = deps.graceMs ?? 750;
    this.#turnTimeoutMs = deps.turnTimeoutMs ?? 110_000;
  }

  /** Turns running in this process (for tests and shutdown). */
  get running(): number {
    return this.#running.size;
  }

  /** Delivers the turn's events to `listener`; resolves after its last event, or when its client left. */
  async join(request: TurnRequest, listener: TurnListener): Promise<void> {
    if (request.call.idempotencyKey.length > 128) throw tooLong('request_id', 128);
    const delivery = new Delivery(listener);
    const key = request.call.idempotencyKey ? keyOf(request.call) : undefined;
    await this.#route(request, key, delivery, Date.now() + (this.#deps.waitMs ?? 15_000));
    await delivery.finished;
  }

  async #route(
    request: TurnRequest,
    key: string | undefined,
    delivery: Delivery,
    waitUntil: number,
  ): Promise<void> {
    if (!key) return this.#start(request, undefined, false, delivery);
    const local = this.#running.get(key);
    if (local) return local.attach(delivery);
    let begin: Awaited<ReturnType<IdempotencyStore['begin']>>;
    try {
      begin = await this.#deps.store.begin(key);
    } catch (err) {
      request.logger.warn({ err }, 'idempotency store unavailable; running the call without it');
      return this.#start(request, undefined, false, delivery);
    }
    if (begin.status === 'started') return this.#start(request, key, begin.retryOfFailure, delivery);
    if (begin.status === 'done') {
      const record = decodeRecord(begin.response);
      delivery.send(record.started);
      return delivery.send(record.done);
    }
    // Running: here (registered while we asked), on another replica (followed), or wait for its record.
    const again = this.#running.get(key);
    if (again) return again.attach(delivery);
    if (this.#deps.relay) return void this.#follow(this.#deps.relay, key, delivery, request.logger);
    if (Date.now() >= waitUntil) {
      const busy = new AppError(
        'aborted',
        'a request with this request_id is still being processed; retry later',
      );
      return delivery.send(errorEvent(toTwirpError(busy, request.logger)));
    }
    await sleep(100);
    if (!delivery.over) return this.#route(request, key, delivery, waitUntil);
  }

  #start(request: TurnRequest, key: string | undefined, retryOfFailure: boolean, delivery: Delivery): void {
    const turn = new RunningTurn({
      graceMs: this.#graceMs,
      onDisconnect: (transport) => this.#deps.events?.disconnect?.(transport),
    });
    if (key) this.#running.set(key, turn);
    turn.attach(delivery);
    const execution = this.#execute(turn, request, key, retryOfFailure);
    this.#executing.add(execution);
    void execution.finally(() => this.#executing.delete(execution));
  }

  /** Waits for every turn to end and store its outcome (shutdown: after the server stopped serving). */
  async drain(): Promise<void> {
    while (this.#executing.size > 0) await Promise.allSettled([...this.#executing]);
  }

  async #execute(turn: RunningTurn, request: TurnRequest, key: string | undefined, retryOfFailure: boolean) {
    const { logger } = request;
    const relay = key && this.#deps.relay ? new RelayPublisher(this.#deps.relay, key, logger) : undefined;
    const publish = (event: WireEvent) => {
      turn.publish(event);
      relay?.push(event);
    };
    const began = performance.now();
    let started: WireEvent | undefined;
    let told = false;
    const scope: TurnScope = {
      requestId: request.requestId,
      idempotencyKey: request.call.idempotencyKey,
      logger,
      signal: AbortSignal.any([turn.controller.signal, AbortSignal.timeout(this.#turnTimeoutMs)]),
      emit: (event) => {
        if (event.type === 'delta' && !told) {
          told = true;
          this.#deps.events?.firstToken?.((performance.now() - began) / 1000);
        }
        const wire = toWireEvent(event);
        if (wire.oneofKind === 'started') started = wire;
        publish(wire);
      },
    };
    let final: WireEvent;
    try {
      final = await request.run(scope, retryOfFailure);
      // Recorded before `done` goes out: a retry arriving after it finds the record, never a gap.
      if (key) await this.#record(key, started && encodeRecord({ started, done: final }), logger);
    } catch (err) {
      final = errorEvent(toTwirpError(err, logger));
      if (key) await this.#record(key, undefined, logger);
    }
    publish(final);
    turn.finish();
    if (key) this.#running.delete(key);
    await relay?.close();
  }

  /** Stores the outcome for retries: the record, or a failure (a retry may run again). */
  async #record(key: string, record: string | undefined, logger: Logger): Promise<void> {
    const { store } = this.#deps;
    try {
      await (record === undefined ? store.fail(key) : store.complete(key, record));
    } catch (err) {
      logger.warn({ err }, 'idempotency store failed');
    }
  }

  /** Follows a turn running on another replica through the relay, from its first event. */
  async #follow(relay: TurnRelay, key: string, delivery: Delivery, logger: Logger): Promise<void> {
    const controller = new AbortController();
    delivery.onLeave(() => controller.abort());
    const isFinal = (json: string) => json.startsWith('{"done"') || json.startsWith('{"error"');
    try {
      const events = relay.read(key, { signal: controller.signal, idleMs: this.#turnTimeoutMs, isFinal });
      for await (const json of events) delivery.send(parseEventJson(json));
    } catch (err) {
      if (!controller.signal.aborted) logger.warn({ err }, 'could not follow a turn on another replica');
    }
    if (delivery.over) return;
    const lost = new UnavailableError('the turn with this request_id stopped answering; retry');
    delivery.send(errorEvent(toTwirpError(lost, logger)));
  }
}
