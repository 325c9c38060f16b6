import type { BreakerState } from '../providers/resilience.ts';
import type { ParleyMetrics } from './metrics.ts';
import type { ComponentStatus } from './readiness.ts';

// The gauge's encoding; an isolated (manually held open) breaker fails calls just like an open one.
const GAUGE_VALUES: Record<BreakerState, number> = { closed: 0, open: 1, half_open: 2, isolated: 1 };

/**
 * The current state of every circuit breaker (the model's, each tool provider's): fed by the breakers'
 * state-change hooks, read by the `parley_circuit_breaker_state` gauge and by `/ready`.
 */
export class BreakerBoard {
  readonly #states = new Map<string, BreakerState>();
  readonly #metrics: ParleyMetrics;

  /** Starts every named breaker closed, so each has a series before its first change. */
  constructor(metrics: ParleyMetrics, names: readonly string[]) {
    this.#metrics = metrics;
    for (const name of names) this.set(name, 'closed');
  }

  set(name: string, state: BreakerState): void {
    this.#states.set(name, state);
    this.#metrics.breakerState.set({ breaker: name }, GAUGE_VALUES[state]);
  }

  state(name: string): BreakerState {
    return this.#states.get(name) ?? 'closed';
  }
}

/**
 * The model's readiness. Unconfigured makes the server unready (nothing can be answered). An open breaker
 * is reported but optional: every replica shares the provider, so taking replicas out of the load
 * balancer would turn clear `unavailable` answers into connection errors without helping anyone.
 */
export function modelReadiness(configured: boolean, breaker: BreakerState): ComponentStatus {
  if (!configured) return { ok: false, detail: 'no model configured (OPENAI_API_KEY / OPENAI_BASE_URL)' };
  if (breaker === 'open' || breaker === 'isolated') {
    return {
      ok: false,
      optional: true,
      detail: `circuit ${breaker}: model calls fail fast until it recovers`,
    };
  }
  return { ok: true, detail: `circuit ${breaker}` };
}
