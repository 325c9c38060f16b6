/**
 * Settles like `work`, or rejects with the signal's reason as soon as `signal` aborts: work that ignores
 * its signal (a tool, or cockatiel's retry delay) still cannot hold the caller.
 */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/**
 * Like `AbortSignal.any`, with listeners removed by `release()`. `AbortSignal.any` keeps every signal made
 * from a long-lived one (the server's shutdown signal) as its dependant, and Node sweeps that whole set
 * each time one is collected: per turn, work that grows with the turns served (5% of the server's CPU at
 * 64 connections).
 */
export function linkSignals(signals: AbortSignal[]): { signal: AbortSignal; release(): void } {
  const controller = new AbortController();
  const already = signals.find((s) => s.aborted);
  if (already) {
    controller.abort(already.reason);
    return { signal: controller.signal, release: () => {} };
  }
  const release = () => {
    for (const s of signals) s.removeEventListener('abort', onAbort);
  };
  const onAbort = (event: Event) => {
    release();
    controller.abort((event.target as AbortSignal).reason);
  };
  for (const s of signals) s.addEventListener('abort', onAbort);
  return { signal: controller.signal, release };
}

/** A deadline from {@link abortAfter}. */
export interface Deadline {
  readonly signal: AbortSignal;
  /** True once the deadline itself aborted the signal (not something else first). */
  readonly expired: boolean;
  /** Drops the timer once the work it bounds is done. */
  clear(): void;
}

/**
 * A signal that aborts `ms` from now, and `clear()` to drop its timer once the work it bounds is done.
 * AbortSignal.timeout cannot be cleared: it keeps its timer, a WeakRef and a finalizer registration for
 * its whole time, long after most work ended. `reason` makes the abort's reason when it fires (an error
 * built up front captures a stack for every call, though nearly all end in time); without it, the
 * default AbortError. With `controller`, the deadline aborts that one (e.g. a turn's own) instead of a
 * new one, so no second signal needs linking.
 */
export function abortAfter(
  ms: number,
  options: { reason?: () => unknown; controller?: AbortController } = {},
): Deadline {
  const controller = options.controller ?? new AbortController();
  let expired = false;
  const timer = setTimeout(() => {
    if (controller.signal.aborted) return;
    expired = true;
    controller.abort(options.reason?.());
  }, ms);
  return {
    signal: controller.signal,
    get expired() {
      return expired;
    },
    clear: () => clearTimeout(timer),
  };
}
