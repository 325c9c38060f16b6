import cluster, { type Worker } from 'node:cluster';
import type { Logger } from '@parley/logger';
import { AggregatorRegistry, type Registry } from 'prom-client';

// WORKERS > 1: this process becomes a node:cluster primary that forks the server processes. They all
// listen on one port (the primary hands each new connection to the next worker, round robin). Whatever
// they must agree on lives in Redis or the shared SQLite files (backends.ts), never in the primary.

export interface WorkerPoolOptions {
  workers: number;
  logger: Logger;
  /** The workers' own drain time; the primary kills a worker that is still running well after it. */
  shutdownTimeoutMs: number;
  /** Pause before restarting a crashed worker: doubles per crash in a row, up to `maxMs`. */
  restart?: { initialMs?: number; maxMs?: number };
}

/** A worker that stayed up this long is healthy again: its next crash restarts it after the first pause. */
const STABLE_MS = 30_000;
/** How long after the drain time a worker that has not exited is killed. */
const KILL_GRACE_MS = 5_000;

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
  const { workers, logger, shutdownTimeoutMs } = options;
  const initialMs = options.restart?.initialMs ?? 500;
  const maxMs = options.restart?.maxMs ?? 30_000;
  const aggregator = new AggregatorRegistry();
  const crashes = new Map<number, number>();
  const startedAt = new Map<Worker, number>();
  const slots = new Map<Worker, number>();
  const restarts = new Set<NodeJS.Timeout>();
  let stopping = false;
  let failed = false;

  const fork = (slot: number) => {
    const worker = cluster.fork();
    // A worker that exits while the primary writes to it (EPIPE) is reported by 'exit'; unhandled, the
    // error would end the primary and with it every other worker.
    worker.on('error', (err) => logger.warn({ err, worker: worker.id }, 'could not talk to a server worker'));
    slots.set(worker, slot);
    startedAt.set(worker, Date.now());
  };

  cluster.on('message', (worker, message: unknown) => {
    if (!isMetricsRequest(message)) return;
    const reply = (response: Omit<MetricsResponse, 'type' | 'id'>) => {
      if (worker.isConnected()) worker.send({ type: METRICS_RESPONSE, id: message.id, ...response });
    };
    aggregator.clusterMetrics().then(
      (text) => reply({ text }),
      (err: unknown) => reply({ error: err instanceof Error ? err.message : 'failed' }),
    );
  });

  return new Promise<number>((resolve) => {
    cluster.on('exit', (worker, code, signal) => {
      const slot = slots.get(worker) ?? 0;
      const upMs = Date.now() - (startedAt.get(worker) ?? Date.now());
      slots.delete(worker);
      startedAt.delete(worker);
      if (stopping) {
        if (code !== 0) failed = true;
        if (slots.size === 0) resolve(failed ? 1 : 0);
        return;
      }
      const inARow = upMs >= STABLE_MS ? 0 : (crashes.get(slot) ?? 0);
      crashes.set(slot, inARow + 1);
      const delayMs = restartDelayMs(inARow, initialMs, maxMs);
      logger.error(
        { worker: worker.id, code, signal, restartInMs: delayMs },
        'a server worker died; restarting it',
      );
      const timer = setTimeout(() => {
        restarts.delete(timer);
        if (!stopping) fork(slot);
      }, delayMs);
      restarts.add(timer);
    });

    const stop = (signal: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal, workers: slots.size }, 'shutting down: asking every worker to drain');
      for (const timer of restarts) clearTimeout(timer);
      if (slots.size === 0) return resolve(0);
      for (const worker of slots.keys()) worker.process.kill('SIGTERM');
      setTimeout(() => {
        for (const worker of slots.keys()) worker.process.kill('SIGKILL');
      }, shutdownTimeoutMs + KILL_GRACE_MS).unref();
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));

    logger.info({ workers }, 'starting %d server workers on one port', workers);
    for (let slot = 0; slot < workers; slot++) fork(slot);
  });
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
