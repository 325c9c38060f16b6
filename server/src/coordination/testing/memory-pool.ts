import type { Logger } from '@parley/logger';
import type { ToHub, ToWorker } from '../cluster-relay-messages.ts';
import { ClusterTurnRelay } from '../cluster-turn-relay.ts';
import { TurnRelayHub, type TurnRelayHubOptions } from '../turn-relay-hub.ts';

// A pool in one process, for tests: a TurnRelayHub and a ClusterTurnRelay per worker, joined by channels
// that deliver each message a microtask later, in order, as node:cluster IPC delivers them asynchronously.

export interface MemoryPool {
  hub: TurnRelayHub;
  relay(worker: number): ClusterTurnRelay;
  /** Messages each worker sent to the primary. */
  sent: Map<number, ToHub[]>;
  /** The worker dies: the hub hears of it, its messages stop. */
  kill(worker: number): void;
  /** The primary is gone for the worker: its channel closes. */
  disconnect(worker: number): void;
}

export function startMemoryPool(
  workers: number[],
  options: Omit<TurnRelayHubOptions, 'transport'> & { logger: Logger },
): MemoryPool {
  const { logger, ...hubOptions } = options;
  const listeners = new Map<number, (message: unknown) => void>();
  const closers = new Map<number, () => void>();
  const alive = new Set(workers);
  const sent = new Map<number, ToHub[]>(workers.map((w) => [w, []]));
  const hub = new TurnRelayHub({
    ...hubOptions,
    transport: {
      send: (worker: number, message: ToWorker) =>
        queueMicrotask(() => (alive.has(worker) ? listeners.get(worker)?.(message) : undefined)),
      workers: () => [...alive],
    },
  });
  const relays = new Map(
    workers.map((worker) => [
      worker,
      new ClusterTurnRelay({
        logger,
        askTimeoutMs: 1_000,
        channel: {
          send: (message) => {
            if (!alive.has(worker)) return;
            sent.get(worker)?.push(message);
            queueMicrotask(() => hub.receive(worker, message));
          },
          onMessage: (listener) => {
            listeners.set(worker, listener);
            return () => listeners.delete(worker);
          },
          onClose: (listener) => {
            closers.set(worker, listener);
            return () => closers.delete(worker);
          },
        },
      }),
    ]),
  );
  return {
    hub,
    sent,
    relay: (worker) => relays.get(worker) as ClusterTurnRelay,
    kill(worker) {
      alive.delete(worker);
      hub.workerGone(worker);
    },
    disconnect(worker) {
      alive.delete(worker);
      closers.get(worker)?.();
    },
  };
}
