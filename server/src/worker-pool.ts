import cluster, { type Worker } from 'node:cluster';
import type { Logger } from '@parley/logger';
import { AggregatorRegistry, type Registry } from 'prom-client';
import { isRelayMessage, type ToHubBody } from './coordination/cluster-relay-messages.ts';
import type { RelayChannel } from './coordination/cluster-turn-relay.ts';
import { TurnRelayHub } from './coordination/turn-relay-hub.ts';

// WORKERS > 1: this process becomes a node:cluster primary that forks the server processes. They all
// listen on one port: each binds its own sockets (SO_REUSEPORT, port-listeners.ts) and the kernel spreads
// new connections over them; with ACCEPT_SOCKETS=1 the primary hands each to the next worker. Whatever
// they must agree on lives in Redis or the shared SQLite files (backends.ts), never in the primary; only
// streamed turns followed from another worker pass through it without Redis (TurnRelayHub).

export interface WorkerPoolOptions {
  workers: number;
  logger: Logger;
  /** The workers' own drain time; the primary kills a worker that is still running well after it. */
  shutdownTimeoutMs: number;
  /** Pause before restarting a crashed worker: doubles per crash in a row, up to `maxMs`. */
  restart?: { initialMs?: number; maxMs?: number };
  /** The script a worker runs (tests); by default this process's own entry point. */
  exec?: string;
}

/** A worker that stayed up this long is healthy again: its next crash restarts it after the first pause. */
const STABLE_MS = 30_000;
/** How long after the drain time a worker that has not exited is killed. */
const KILL_GRACE_MS = 5_000;
/**
 * Workers in a row that died before they ever listened (a port in use, a store that cannot be opened):
 * then the pool stops and exits 1, as a single server would, instead of retrying forever.
 */
const GIVE_UP_AFTER = 4;

const METRICS_REQUEST = 'parley:metrics-request';
const METRICS_RESPONSE = 'parley:metrics-response';

interface MetricsRequest {
  type: typeof METRICS_REQUEST;
  id: number;
}
interface MetricsResponse {
  type: typeof METRICS_RESPONSE;
  id: number;
  text?: string;
  error?: string;
}

/**
 * Runs the primary: forks `workers` server processes, restarts one that dies (with backoff), answers
 * workers' requests for the whole pool's metrics, and on SIGTERM or SIGINT passes SIGTERM to every worker
 * and waits for them to drain. Resolves with the exit code once every worker has exited.
 */
export function runWorkerPool(options: WorkerPoolOptions): Promise<number> {
  return new Promise<number>((resolve) => new WorkerPool(options, resolve).start());
}

class WorkerPool {
  readonly #options: WorkerPoolOptions;
  readonly #done: (code: number) => void;
  readonly #aggregator = new AggregatorRegistry();
  readonly #relay = new TurnRelayHub({
    transport: {
      send: (id, message) => {
        const worker = cluster.workers?.[id];
        if (worker?.isConnected()) worker.send(message);
      },
      workers: () => Object.values(cluster.workers ?? {}).flatMap((w) => (w?.isConnected() ? [w.id] : [])),
    },
  });
  /** Live workers and the slot (0 … workers - 1) each fills. */
  readonly #slots = new Map<Worker, { slot: number; startedAt: number; listening: boolean }>();
  readonly #crashes = new Map<number, number>();
  readonly #restarts = new Set<NodeJS.Timeout>();
  #diedBeforeListening = 0;
  #stopping = false;
  #exitCode = 0;

  constructor(options: WorkerPoolOptions, done: (code: number) => void) {
    this.#options = options;
    this.#done = done;
  }

  start(): void {
    const { workers, logger, exec } = this.#options;
    if (exec) cluster.setupPrimary({ exec });
    cluster.on('message', (worker, message: unknown) => {
      if (isRelayMessage(message)) this.#relay.receive(worker.id, message as unknown as ToHubBody);
      else this.#answerMetrics(worker, message);
    });
    cluster.on('exit', (worker, code, signal) => this.#exited(worker, code, signal));
    process.on('SIGTERM', () => this.#stop('SIGTERM', 0));
    process.on('SIGINT', () => this.#stop('SIGINT', 0));
    logger.info({ workers }, 'starting %d server workers on one port', workers);
    for (let slot = 0; slot < workers; slot++) this.#fork(slot);
  }

  #fork(slot: number): void {
    const worker = cluster.fork();
    const entry = { slot, startedAt: Date.now(), listening: false };
    this.#slots.set(worker, entry);
    worker.on('listening', () => {
      entry.listening = true;
      this.#diedBeforeListening = 0;
    });
    // A worker that exits while the primary writes to it (EPIPE) is reported by 'exit'; unhandled, the
    // error would end the primary and with it every other worker.
    worker.on('error', (err) =>
      this.#options.logger.warn({ err, worker: worker.id }, 'could not talk to a server worker'),
    );
  }

  #exited(worker: Worker, code: number | null, signal: string | null): void {
    const entry = this.#slots.get(worker);
    this.#slots.delete(worker);
    this.#relay.workerGone(worker.id);
    if (this.#stopping) {
      if (code !== 0) this.#exitCode = 1;
      if (this.#slots.size === 0) this.#done(this.#exitCode);
      return;
    }
    const { logger } = this.#options;
    const slot = entry?.slot ?? 0;
    if (!entry?.listening && ++this.#diedBeforeListening >= GIVE_UP_AFTER) {
      logger.error(
        { worker: worker.id, code, signal },
        'server workers keep dying before they listen; stopping',
      );
      this.#stop('workers failing', 1);
      return;
    }
    const upMs = Date.now() - (entry?.startedAt ?? Date.now());
    const inARow = upMs >= STABLE_MS ? 0 : (this.#crashes.get(slot) ?? 0);
    this.#crashes.set(slot, inARow + 1);
    const { initialMs = 500, maxMs = 30_000 } = this.#options.restart ?? {};
    const delayMs = restartDelayMs(inARow, initialMs, maxMs);
    logger.error(
      { worker: worker.id, code, signal, restartInMs: delayMs },
      'a server worker died; restarting it',
    );
    const timer = setTimeout(() => {
      this.#restarts.delete(timer);
      if (!this.#stopping) this.#fork(slot);
    }, delayMs);
    this.#restarts.add(timer);
  }

  #stop(reason: string, exitCode: number): void {
    if (this.#stopping) return;
    this.#stopping = true;
    this.#exitCode = exitCode;
    this.#options.logger.info(
      { reason, workers: this.#slots.size },
      'shutting down: asking every worker to drain',
    );
    for (const timer of this.#restarts) clearTimeout(timer);
    this.#relay.close();
    if (this.#slots.size === 0) {
      this.#done(exitCode);
      return;
    }
    for (const worker of this.#slots.keys()) worker.process.kill('SIGTERM');
    setTimeout(() => {
      for (const worker of this.#slots.keys()) worker.process.kill('SIGKILL');
    }, this.#options.shutdownTimeoutMs + KILL_GRACE_MS).unref();
  }

  #answerMetrics(worker: Worker, message: unknown): void {
    if (!isMetricsRequest(message)) return;
    const reply = (response: Omit<MetricsResponse, 'type' | 'id'>) => {
      if (worker.isConnected()) worker.send({ type: METRICS_RESPONSE, id: message.id, ...response });
    };
    this.#aggregator.clusterMetrics().then(
      (text) => reply({ text }),
      (err: unknown) => reply({ error: err instanceof Error ? err.message : 'failed' }),
    );
  }
}

/** The pause before a restart after `inARow` earlier crashes in a row: doubling from `initialMs`, capped. */
export function restartDelayMs(inARow: number, initialMs: number, maxMs: number): number {
  return Math.min(maxMs, initialMs * 2 ** Math.min(inARow, 30));
}

/**
 * In a worker: the pool's metrics, all workers' registries aggregated by prom-client's AggregatorRegistry
 * in the primary (counters and histograms summed; each metric's own aggregator otherwise). Lets any
 * worker answer `/metrics` for the whole pool.
 */
export function poolMetrics(registry: Registry, timeoutMs = 5_000): () => Promise<string> {
  // In a worker, constructing it makes prom-client answer the primary's requests, from `registry`.
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries([registry]);
  let ids = 0;
  return () =>
    new Promise<string>((resolve, reject) => {
      const id = ids++;
      const onMessage = (message: unknown) => {
        if (!isMetricsResponse(message) || message.id !== id) return;
        done();
        if (message.text !== undefined) resolve(message.text);
        else reject(new Error(`the primary could not gather metrics: ${message.error ?? 'unknown'}`));
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error('the primary did not answer for metrics'));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        process.off('message', onMessage);
      };
      process.on('message', onMessage);
      process.send?.({ type: METRICS_REQUEST, id } satisfies MetricsRequest);
    });
}

/** In a worker: its IPC channel to the primary, for following turns across the pool (ClusterTurnRelay). */
export function workerChannel(): RelayChannel {
  return {
    send: (message) => {
      if (process.connected) process.send?.(message);
    },
    onMessage: (listener) => {
      process.on('message', listener);
      return () => process.off('message', listener);
    },
    onClose: (listener) => {
      process.once('disconnect', listener);
      return () => process.off('disconnect', listener);
    },
  };
}

function isMetricsRequest(message: unknown): message is MetricsRequest {
  return (
    typeof message === 'object' && message !== null && (message as MetricsRequest).type === METRICS_REQUEST
  );
}

function isMetricsResponse(message: unknown): message is MetricsResponse {
  return (
    typeof message === 'object' && message !== null && (message as MetricsResponse).type === METRICS_RESPONSE
  );
}
