import type { Logger } from '@parley/logger';
import {
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  ExponentialBackoff,
  handleWhen,
  type IBackoffFactory,
  type IPolicy,
  type IRetryBackoffContext,
  retry,
  TimeoutStrategy,
  timeout,
  wrap,
} from 'cockatiel';
import { untilAborted } from './abort.ts';

export type BreakerState = 'closed' | 'open' | 'half_open' | 'isolated';

/** Cockatiel's circuit states by the names logs, metrics and `/ready` use. */
export const BREAKER_STATES: Record<CircuitState, BreakerState> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half_open',
  [CircuitState.Isolated]: 'isolated',
};

/** Tuning of the one policy around a provider (the model or a tool's data source). Tests shorten it. */
export interface ResilienceOptions {
  /** Longest one attempt may take; unset when the client bounds its own attempts (the OpenAI SDK). */
  attemptTimeoutMs?: number;
  /** Retries after the first attempt, for retryable transient failures only. Default 1. */
  retries?: number;
  backoff?: { initialDelayMs?: number; maxDelayMs?: number };
  /** Consecutive failed attempts that open the circuit (default 5), and how long it stays open (30 s). */
  breaker?: { threshold?: number; halfOpenAfterMs?: number };
  /** Called on every circuit state change (metrics and `/ready` hook in here). */
  onBreakerStateChange?: (state: BreakerState) => void;
}

export interface ResiliencePolicyOptions extends ResilienceOptions {
  /** Names the provider in logs: 'model', 'weather', 'holidays'. */
  name: string;
  logger?: Logger | undefined;
  /** Failures that say the provider is struggling: counted by the breaker, and retried. */
  isTransient: (err: unknown) => boolean;
  /** Narrows which transient failures are retried (e.g. not when the provider asks for a long wait). */
  isRetryable?: (err: unknown) => boolean;
  /** Replaces the exponential backoff built from `backoff` (e.g. to honour `retry-after`). */
  backoffFactory?: IBackoffFactory<IRetryBackoffContext<unknown>>;
  /** Extra log fields describing a failure (e.g. its HTTP status); never its message, which may hold URLs. */
  describeFailure?: (err: unknown) => Record<string, unknown>;
}

/** One provider's policy: run attempts through it, and read its breaker. */
export interface Resilience {
  /** Runs `attempt` under the policy; rejects as soon as `signal` aborts, even during a retry delay. */
  execute<T>(attempt: (signal: AbortSignal) => Promise<T>, signal?: AbortSignal): Promise<T>;
  readonly breakerState: BreakerState;
}

/**
 * Builds the one policy every provider call goes through, in one nesting order:
 * `retry(transient) → circuit breaker(transient) → timeout per attempt`. Retry is outermost so every
 * attempt passes the breaker and counts; an open breaker throws at once and that is not retried, so a
 * dead provider costs nothing. Only provider-health failures count: a rejected request says nothing.
 */
export function createResilience(options: ResiliencePolicyOptions): Resilience {
  const { name, logger, isTransient, describeFailure = () => ({}) } = options;
  const isRetryable = options.isRetryable ?? (() => true);
  const retries = retry(
    handleWhen((err) => isTransient(err) && isRetryable(err)),
    {
      maxAttempts: options.retries ?? 1,
      backoff:
        options.backoffFactory ??
        new ExponentialBackoff({
          initialDelay: options.backoff?.initialDelayMs ?? 200,
          maxDelay: options.backoff?.maxDelayMs ?? 2000,
        }),
    },
  );
  const breaker = circuitBreaker(handleWhen(isTransient), {
    halfOpenAfter: options.breaker?.halfOpenAfterMs ?? 30_000,
    breaker: new ConsecutiveBreaker(options.breaker?.threshold ?? 5),
  });
  retries.onRetry(({ delay, attempt, ...reason }) =>
    logger?.debug({ provider: name, attempt, delayMs: Math.round(delay), ...fieldsOf(reason) }, 'retrying'),
  );
  let state: BreakerState = 'closed';
  breaker.onStateChange((next) => {
    state = BREAKER_STATES[next];
    if (state === 'open') logger?.warn({ provider: name, state }, 'circuit opened; failing fast');
    else logger?.info({ provider: name, state }, 'circuit state changed');
    options.onBreakerStateChange?.(state);
  });
  const layers: IPolicy[] = [retries, breaker];
  // Cooperative: the attempt honours its signal, and its own error tells a timeout from an abort.
  if (options.attemptTimeoutMs !== undefined) {
    layers.push(timeout(options.attemptTimeoutMs, TimeoutStrategy.Cooperative));
  }
  const policy = wrap(...layers);

  function fieldsOf(reason: object): Record<string, unknown> {
    return 'error' in reason ? describeFailure(reason.error) : {};
  }

  return {
    execute: (attempt, signal) =>
      untilAborted(
        policy.execute(({ signal: attemptSignal }) => attempt(attemptSignal), signal),
        signal,
      ),
    get breakerState() {
      return state;
    },
  };
}
