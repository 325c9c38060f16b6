// The turn engine's public entry. A route runs a turn in three steps:
//   1. check its own request shape into domain input (`StartTurnInput` / `ContinueTurnInput`);
//   2. build the call: `startCall(deps, origin, input)` / `continueCall(...)` (turn-calls.ts), where
//      `origin` is `{ requestId, idempotencyKey: <client request_id or ''>, logger }`;
//   3. `await engine.join(call, { transport, signal, onEvent })`: `onEvent` receives `TurnEvent`s
//      (turn-event.ts): `started`, `delta`, `tool`, then exactly one `done` or `error` (a PublicError,
//      safe to show). `signal` is the client's: when every listener has left, the turn is cut short.
//      A caller wanting only the outcome uses `collect(engine, call, signal)`.
// See docs/architecture.md for the sequence of a turn.
import type { Logger } from '@parley/logger';
import type { TurnScope } from '../conversations/turn-scope.ts';
import type { TurnRelay } from '../coordination/turn-relay.ts';
import { AppError, UnavailableError } from '../errors/app-error.ts';
import { toPublicError } from '../errors/public-error.ts';
import { abortAfter, type Deadline, untilAborted } from '../providers/abort.ts';
import { type Idempotency, type IdempotentCall, keyOf } from './idempotency.ts';
import { relayOutlet } from './relay-publisher.ts';
import { Delivery, RunningTurn, type TurnListener } from './running-turn.ts';
import {
  decodeEvent,
  decodeRecord,
  encodeRecord,
  isFinal,
  type TurnDone,
  type TurnEvent,
  type TurnFailed,
  type TurnStarted,
} from './turn-event.ts';

/** One call for a turn: who asks (its idempotency key) and how to run the turn if nobody runs it yet. */
export interface TurnCall {
  key: IdempotentCall;
  requestId: string;
  logger: Logger;
  /** Runs the turn, its progress going to `scope.emit` and its signal stopping it; resolves with `done`. */
  run(scope: TurnScope, retryOfFailure: boolean): Promise<TurnDone>;
}

export interface TurnEngineDeps {
  idempotency: Idempotency;
  /** Re-attaching across processes (Redis, or the pool's primary); without it, only within this process. */
  relay?: TurnRelay;
  logger: Logger;
  /** How long a turn nobody listens to keeps running, for a client reconnecting. Default 750 ms. */
  graceMs?: number;
  /** The turn's one deadline, model retries and tool rounds included (TURN_TIMEOUT_MS). */
  turnTimeoutMs: number;
  /** Metrics hooks. */
  events?: { firstToken?(seconds: number): void; disconnect?(transport: string): void };
}

/**
 * The turn engine: every route (Twirp unary, SSE, any other front door) runs turns by {@link join}ing one
 * with a {@link TurnCall} and a listener that receives the turn's {@link TurnEvent}s. A call whose
 * `request_id` names a turn running in this process re-attaches to it (the events so far, then the rest);
 * one running in another process is followed through the relay; a finished one answers from its
 * idempotency record. The model is called once per turn. The engine owns the turn's deadline and its
 * shutdown cut-off. When every listener has left, the turn is aborted after a short grace, so a client
 * that hangs up stops paying for the model.
 */
export class TurnEngine {
  readonly #deps: TurnEngineDeps;
  readonly #running = new Map<string, RunningTurn>();
  /** Every turn executing here (keyed or not) and its execution: `drain` waits, `cutOff` aborts. */
  readonly #executing = new Map<RunningTurn, Promise<void>>();
  readonly #shutdown = new AbortController();
  readonly #graceMs: number;

  constructor(deps: TurnEngineDeps) {
    this.#deps = deps;
    this.#graceMs = deps.graceMs ?? 750;
  }

  /** Delivers the turn's events to `listener`; resolves after its last event, or when its client left. */
  async join(call: TurnCall, listener: TurnListener): Promise<void> {
    const key = keyOf(call.key);
    const delivery = new Delivery(listener);
    try {
      await this.#route(call, key, delivery);
    } catch (err) {
      delivery.send(failure(err, call.logger));
    }
    await delivery.finished;
  }

  /** Waits for every turn to end and store its outcome (shutdown: after the server stopped serving). */
  async drain(): Promise<void> {
    while (this.#executing.size > 0) await Promise.allSettled([...this.#executing.values()]);
  }

  /** Cuts off every running turn (shutdown timeout): they answer `unavailable`, so callers retry. */
  cutOff(): void {
    const reason = new Error('server shutting down');
    this.#shutdown.abort(reason);
    for (const turn of this.#executing.keys()) turn.controller.abort(reason);
  }

  /** `follow`: false once following through the relay found the turn running nowhere. */
  async #route(call: TurnCall, key: string, delivery: Delivery, follow = true): Promise<void> {
    if (!key) return this.#start(call, '', false, delivery);
    const local = this.#running.get(key);
    if (local) return local.attach(delivery);
    const claim = await this.#deps.idempotency.claim(key, {
      logger: call.logger,
      whileRunning: () => this.#followRunning(call, key, delivery, follow),
    });
    if (claim.status === 'unguarded') return this.#start(call, '', false, delivery);
    if (claim.status === 'started') return this.#start(call, key, claim.retryOfFailure, delivery);
    if (claim.status === 'done') {
      const record = decodeRecord(claim.response);
      delivery.send(record.started);
      delivery.send(record.done);
    }
  }

  /** Another call holds the key: attach to it here, follow it on another process, or keep waiting. */
  #followRunning(call: TurnCall, key: string, delivery: Delivery, follow: boolean): boolean {
    const local = this.#running.get(key);
    if (local) {
      local.attach(delivery);
      return true;
    }
    if (this.#deps.relay && follow) {
      void this.#follow(this.#deps.relay, call, key, delivery);
      return true;
    }
    return delivery.over;
  }

  #start(call: TurnCall, key: string, retryOfFailure: boolean, delivery: Delivery): void {
    const { relay } = this.#deps;
    const turn = new RunningTurn({
      graceMs: this.#graceMs,
      onDisconnect: (transport) => this.#deps.events?.disconnect?.(transport),
      ...(key && relay ? { attendedElsewhere: () => relay.attended(key) } : {}),
    });
    if (key) this.#running.set(key, turn);
    turn.attach(delivery);
    const execution = this.#execute(turn, call, key, retryOfFailure);
    this.#executing.set(turn, execution);
    void execution.finally(() => this.#executing.delete(turn));
  }

  async #execute(turn: RunningTurn, call: TurnCall, key: string, retryOfFailure: boolean): Promise<void> {
    const { logger } = call;
    const relay =
      key && this.#deps.relay ? relayOutlet(this.#deps.relay, key, logger, () => turn.replay()) : undefined;
    const publish = (event: TurnEvent) => {
      turn.publish(event);
      relay?.push(event);
    };
    // One signal a turn: its deadline, the shutdown cut-off and every client leaving all abort the turn's
    // own controller (#why tells which), with no linked signal and listeners per turn.
    const deadline = abortAfter(this.#deps.turnTimeoutMs, {
      controller: turn.controller,
      reason: () => new DOMException('the turn took too long', 'TimeoutError'),
    });
    if (this.#shutdown.signal.aborted) turn.controller.abort(this.#shutdown.signal.reason);
    const held = key ? this.#deps.idempotency.hold(key, logger) : undefined;
    const { signal } = turn.controller;
    const began = performance.now();
    let started: TurnStarted | undefined;
    let told = false;
    const scope: TurnScope = {
      requestId: call.requestId,
      idempotencyKey: call.key.idempotencyKey,
      logger,
      signal,
      emit: (event) => {
        if (event.type === 'delta' && !told) {
          told = true;
          this.#deps.events?.firstToken?.((performance.now() - began) / 1000);
        }
        if (event.type === 'started') started = event;
        publish(event);
      },
    };
    let final: TurnDone | TurnFailed;
    try {
      // A step that ignores the signal must not hold the turn past its deadline either.
      const done = await untilAborted(call.run(scope, retryOfFailure), signal);
      final = done;
      // Recorded before `done` goes out: a retry arriving after it finds the record, never a gap.
      if (key) await this.#deps.idempotency.settle(key, started && encodeRecord({ started, done }), logger);
    } catch (err) {
      final = failure(this.#why(err, deadline, turn, logger), logger);
      if (key) await this.#deps.idempotency.settle(key, undefined, logger);
    } finally {
      deadline.clear();
      held?.release();
    }
    publish(final);
    turn.finish();
    if (key) this.#running.delete(key);
    await relay?.close();
  }

  /** What cut a turn short, as the error its listeners (if any are left) are told. */
  #why(err: unknown, deadline: Deadline, turn: RunningTurn, logger: Logger): unknown {
    if (deadline.expired) {
      return new AppError(
        'deadline_exceeded',
        'the answer took too long; try again or ask something simpler',
        {
          cause: err,
          meta: { timeout_ms: String(this.#deps.turnTimeoutMs) },
        },
      );
    }
    if (this.#shutdown.signal.aborted) {
      return new UnavailableError('the server is restarting; retry with the same request_id', { cause: err });
    }
    if (turn.controller.signal.aborted) {
      logger.info('turn cut short: every client left');
      return new AppError('canceled', 'every client left', { cause: err });
    }
    return err;
  }

  /**
   * Follows a turn running in another process through the relay, from its first event. When the relay
   * ends without the last event (the turn runs nowhere any more: it ended just now, or its process
   * died), the turn's record answers, as it would a retry; but a listener that was already told part of
   * that run is told `unavailable` instead (a run started again here would repeat its text), and its
   * client's retry runs the turn again once the dead process's claim has lapsed.
   */
  async #follow(relay: TurnRelay, call: TurnCall, key: string, delivery: Delivery): Promise<void> {
    const { logger } = call;
    const controller = new AbortController();
    delivery.onLeave(() => controller.abort());
    // The process running the turn keeps it while this listener follows it.
    const attendance = relay.attend(key);
    let relayed = false;
    try {
      const events = relay.read(key, { signal: controller.signal, idleMs: this.#deps.turnTimeoutMs });
      for await (const json of events) {
        const event = decodeEvent(json);
        delivery.send(event);
        relayed = true;
        if (isFinal(event)) break;
      }
    } catch (err) {
      if (!controller.signal.aborted) logger.warn({ err }, 'could not follow a turn in another process');
    } finally {
      attendance.leave();
    }
    if (delivery.over) return;
    if (relayed) {
      logger.warn('the process running a followed turn stopped before its end');
      delivery.send(failure(new UnavailableError(RUN_STOPPED), logger));
      return;
    }
    await this.#route(call, key, delivery, false).catch((err: unknown) =>
      delivery.send(failure(err, logger)),
    );
  }
}

const RUN_STOPPED = 'the server answering this stopped before the end; retry with the same request_id';

function failure(err: unknown, logger: Logger): TurnFailed {
  return { type: 'error', error: toPublicError(err, logger) };
}
