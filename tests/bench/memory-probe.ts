// Preloaded into the benchmarked server (`node --import tsx --import ./tests/bench/memory-probe.ts ...`)
// so the runner can read the heap, event-loop lag and where the thread waited: the server exposes none
// of these per process. It answers the parent's questions over the IPC channel: no timers, and on the
// request path only a request count and a clock read around each SQLite call.
//
// A WORKERS > 1 server's workers inherit the preload. The primary answers the runner for the whole pool:
// it passes each question on to every worker over the cluster's channel and gathers the answers, so
// event-loop lag is measured in every process ("loop lag p99 < 50 ms in every process"), memory is the
// pool's, and the requests each worker took show how evenly round robin spread the load.

import { AsyncLocalStorage } from 'node:async_hooks';
import cluster from 'node:cluster';
import { subscribe } from 'node:diagnostics_channel';
import http from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { createHistogram, type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';

/** What one process reports between 'loop-start' and 'loop'. */
export interface ProcessReport {
  pid: number;
  /** The cluster's worker id; absent for a single server or the primary. */
  worker?: number;
  loop: { p50: number; p99: number; max: number };
  /** CPU time (user + system) this process used meanwhile, ms. */
  cpuMs: number;
  /** HTTP requests and new connections this process took. */
  requests: number;
  connections: number;
  /** Wall time inside better-sqlite3 calls (its busy handler sleeps the thread there), ms. */
  sqlite: { calls: number; totalMs: number; p99Ms: number; maxMs: number; over5Ms: number };
  /**
   * A request's arrival → its first outgoing HTTP request (the model call) being made, and → that call's
   * answer (its headers): where a turn's wait for its first text sits, server side, ms. Measured only with
   * BENCH_PROBE_MODEL_CALLS=1 (count 0 otherwise).
   */
  modelCall: { count: number; p50Ms: number; p99Ms: number };
  modelAnswer: { count: number; p50Ms: number; p99Ms: number };
  /** A connection accepted → its first request's headers parsed; a request's arrival → its response's first write, ms. */
  firstRequest: { count: number; p50Ms: number; p99Ms: number };
  firstWrite: { count: number; p50Ms: number; p99Ms: number };
}

const PROBE = 'bench-probe';
const PROBE_REPLY = 'bench-probe-reply';

let loop: IntervalHistogram | undefined;
let cpuAtStart = process.cpuUsage();
let requests = 0;
let connections = 0;
let sqliteCalls = 0;
let sqliteTotalMs = 0;
let sqliteOver5 = 0;
const sqliteUs = createHistogram();
const sockets = new WeakSet<object>();
// The arrival time of the request whose work is running (its handler's async chain inherits it). One more
// AsyncLocalStorage costs every promise of the server something, so only with BENCH_PROBE_MODEL_CALLS=1.
const arrival = process.env.BENCH_PROBE_MODEL_CALLS === '1' ? new AsyncLocalStorage<number>() : undefined;
const outgoing = new WeakMap<object, number>();
const modelCallUs = createHistogram();
const modelAnswerUs = createHistogram();
const firstRequestUs = createHistogram();
const firstWriteUs = createHistogram();
const accepted = new WeakMap<object, number>();
const responses = new WeakMap<object, number>();
const sinceUs = (t0: number) => Math.max(1, Math.round((performance.now() - t0) * 1000));
const spread = (h: ReturnType<typeof createHistogram>) => ({
  count: h.count,
  p50Ms: h.count > 0 ? h.percentile(50) / 1000 : 0,
  p99Ms: h.count > 0 ? h.percentile(99) / 1000 : 0,
});

function start(): void {
  loop?.disable();
  loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  cpuAtStart = process.cpuUsage();
  requests = 0;
  connections = 0;
  sqliteCalls = 0;
  sqliteTotalMs = 0;
  sqliteOver5 = 0;
  sqliteUs.reset();
  modelCallUs.reset();
  modelAnswerUs.reset();
  firstRequestUs.reset();
  firstWriteUs.reset();
}

function report(): ProcessReport {
  loop?.disable();
  const lag = loop
    ? { p50: loop.percentile(50) / 1e6, p99: loop.percentile(99) / 1e6, max: loop.max / 1e6 }
    : { p50: Number.NaN, p99: Number.NaN, max: Number.NaN };
  loop = undefined;
  const cpu = process.cpuUsage(cpuAtStart);
  return {
    pid: process.pid,
    ...(cluster.isWorker ? { worker: cluster.worker?.id } : {}),
    loop: lag,
    cpuMs: (cpu.user + cpu.system) / 1000,
    requests,
    connections,
    sqlite: {
      calls: sqliteCalls,
      totalMs: sqliteTotalMs,
      p99Ms: sqliteCalls > 0 ? sqliteUs.percentile(99) / 1000 : 0,
      maxMs: sqliteCalls > 0 ? sqliteUs.max / 1000 : 0,
      over5Ms: sqliteOver5,
    },
    modelCall: spread(modelCallUs),
    modelAnswer: spread(modelAnswerUs),
    firstRequest: spread(firstRequestUs),
    firstWrite: spread(firstWriteUs),
  };
}

function memory() {
  const { rss, heapUsed, heapTotal } = process.memoryUsage();
  return { rss, heapUsed, heapTotal };
}

/** Times every better-sqlite3 statement (BEGIN and COMMIT of its transactions included). */
function timeSqlite(): void {
  // Only what is used here (the tests package does not depend on better-sqlite3's types).
  type Database = { prepare(sql: string): object; close(): void };
  let Database: { new (path: string): Database; prototype: object };
  try {
    // The server's copy (the same module instance its bundle imports).
    Database = createRequire(join(process.cwd(), 'server', 'package.json'))('better-sqlite3');
  } catch {
    return;
  }
  const db = new Database(':memory:');
  const statement = Object.getPrototypeOf(db.prepare('SELECT 1')) as Record<string, unknown>;
  db.close();
  const wrap = (target: Record<string, unknown>, name: string) => {
    const original = target[name] as (...args: unknown[]) => unknown;
    target[name] = function timed(this: unknown, ...args: unknown[]) {
      const began = performance.now();
      try {
        return original.apply(this, args);
      } finally {
        const ms = performance.now() - began;
        sqliteCalls++;
        sqliteTotalMs += ms;
        if (ms >= 5) sqliteOver5++;
        sqliteUs.record(Math.max(1, Math.round(ms * 1000)));
      }
    };
  };
  for (const name of ['run', 'get', 'all']) wrap(statement, name);
  wrap(Database.prototype as Record<string, unknown>, 'exec');
}

if (process.send) {
  timeSqlite();
  subscribe('net.server.socket', (message) => {
    const socket = (message as { socket?: object }).socket;
    if (socket) accepted.set(socket, performance.now());
  });
  subscribe('http.server.request.start', (message) => {
    requests++;
    const { socket, response } = message as { socket?: object; response?: object };
    const now = performance.now();
    if (socket && !sockets.has(socket)) {
      sockets.add(socket);
      connections++;
      const at = accepted.get(socket);
      if (at !== undefined) firstRequestUs.record(sinceUs(at));
    }
    if (response) responses.set(response, now);
    arrival?.enterWith(now);
  });
  // The response's first write (its headers leave with it).
  const outgoingProto = http.OutgoingMessage.prototype as unknown as Record<string, unknown>;
  for (const name of ['write', 'end']) {
    const original = outgoingProto[name] as (...args: unknown[]) => unknown;
    outgoingProto[name] = function firstWrite(this: object, ...args: unknown[]) {
      const t0 = responses.get(this);
      if (t0 !== undefined) {
        responses.delete(this);
        firstWriteUs.record(sinceUs(t0));
      }
      return original.apply(this, args);
    };
  }
  subscribe('http.client.request.start', (message) => {
    const t0 = arrival?.getStore();
    const request = (message as { request?: object }).request;
    if (t0 === undefined || !request) return;
    modelCallUs.record(sinceUs(t0));
    outgoing.set(request, t0);
  });
  subscribe('http.client.response.finish', (message) => {
    const request = (message as { request?: object }).request;
    const t0 = request ? outgoing.get(request) : undefined;
    if (t0 !== undefined) modelAnswerUs.record(sinceUs(t0));
  });
}

if (process.send && cluster.isWorker) {
  // A worker answers the primary's questions (see below).
  process.on('message', (message: { type?: string; id?: number; op?: string }) => {
    if (message?.type !== PROBE) return;
    if (message.op === 'start') start();
    const answer = message.op === 'report' ? report() : message.op === 'memory' ? memory() : undefined;
    process.send?.({ type: PROBE_REPLY, id: message.id, answer });
  });
} else if (process.send) {
  let ids = 0;
  // The primary (or a single server): its own answer plus, in a pool, every worker's.
  const fromWorkers = <T>(op: string): Promise<T[]> => {
    const workers = Object.values(cluster.workers ?? {}).filter((w) => w?.isConnected());
    if (workers.length === 0) return Promise.resolve([]);
    const id = ids++;
    const answers: T[] = [];
    return new Promise((resolve) => {
      const timer = setTimeout(() => finish(), 1_500);
      const onMessage = (_worker: unknown, message: { type?: string; id?: number; answer?: T }) => {
        if (message?.type !== PROBE_REPLY || message.id !== id) return;
        if (message.answer !== undefined) answers.push(message.answer);
        if (answers.length === workers.length) finish();
      };
      const finish = () => {
        clearTimeout(timer);
        cluster.off('message', onMessage);
        resolve(answers);
      };
      cluster.on('message', onMessage);
      for (const w of workers) w?.send({ type: PROBE, op, id });
    });
  };
  process.on('message', async (message) => {
    if (message === 'loop-start') {
      start();
      await fromWorkers('start');
      return;
    }
    if (message === 'loop') {
      const own = report();
      const processes = [own, ...(await fromWorkers<ProcessReport>('report'))];
      // The worst process: the goal is "in every process".
      const worst = processes.reduce((a, b) => (b.loop.p99 > a.loop.p99 ? b : a));
      const max = Math.max(...processes.map((p) => p.loop.max));
      process.send?.({ type: 'loop', p50: worst.loop.p50, p99: worst.loop.p99, max, processes });
      return;
    }
    if (message !== 'memory') return;
    const all = [memory(), ...(await fromWorkers<ReturnType<typeof memory>>('memory'))];
    const sum = (key: 'rss' | 'heapUsed' | 'heapTotal') => all.reduce((total, m) => total + m[key], 0);
    process.send?.({
      type: 'memory',
      rss: sum('rss'),
      heapUsed: sum('heapUsed'),
      heapTotal: sum('heapTotal'),
    });
  });
  // The channel must not keep the server alive once it has closed its listener.
  process.channel?.unref();
}
