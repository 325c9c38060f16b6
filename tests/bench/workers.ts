import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startConversations } from './fixtures.ts';
import { combine, type LoadResult, Samples } from './load.ts';
import { cpu, ms, n0, table } from './markdown.ts';
import { parleyTarget, settle, type TurnTarget, turnLoad } from './phases.ts';
import { cpuTimeMs } from './processes.ts';
import { type RunningServer, startParley } from './servers.ts';

// WORKERS=1 against WORKERS=2 (one port, a node:cluster pool) under the same unary load, on the embedded
// default (the pool shares sessions, locks and idempotency through a SQLite file) and on Redis.

export interface WorkersRow {
  backend: 'embedded' | 'redis';
  connections: number;
  one: LoadResult;
  two: LoadResult;
  /** WORKERS=2 req/s ÷ WORKERS=1 req/s. */
  speedup: number;
}

export interface WorkersRunOptions {
  work: string;
  modelUrl: string;
  redisUrl: string;
  prefix: string;
  durationSec: number;
  connections: number;
  /** How Parley starts (`{ compiled: true }` for the bundle). */
  server: { compiled?: boolean };
  log(text: string): void;
  track(server: RunningServer): RunningServer;
  stop(server: RunningServer): Promise<void>;
}

export async function workersRun(options: WorkersRunOptions): Promise<WorkersRow[]> {
  const rows: WorkersRow[] = [];
  for (const backend of ['embedded', 'redis'] as const) {
    const start = async (workers: number) => {
      const name = `parley (${backend}, WORKERS=${workers})`;
      return options.track(
        await startParley({
          name,
          ...options.server,
          modelUrl: options.modelUrl,
          dataDir: join(options.work, `workers-${backend}-${workers}`),
          redisUrl: options.redisUrl,
          redisPrefix: `${options.prefix}workers-${workers}:`,
          env: { WORKERS: String(workers), ...(backend === 'embedded' ? { REDIS_URL: undefined } : {}) },
        }),
      );
    };
    const servers = [await start(1), await start(2)] as const;
    const targets = await Promise.all(
      servers.map(async (server, i) => ({
        ...parleyTarget(server, await startConversations(server.url, options.connections, `w${i}`)),
      })),
    );
    options.log(`workers (${backend}): warm-up, then WORKERS=1 vs 2 at ${options.connections} connections`);
    for (const target of targets) await turnLoad(target, 16, 2);
    const [one, two] = await alternate(targets[0], targets[1], options);
    rows.push({
      backend,
      connections: options.connections,
      one,
      two,
      speedup: two.reqPerSec / one.reqPerSec,
    });
    for (const server of servers) await options.stop(server);
  }
  return rows;
}

/** A B B A slices (drift on a shared machine hits both alike), CPU counted over each process tree. */
async function alternate(
  a: TurnTarget | undefined,
  b: TurnTarget | undefined,
  options: WorkersRunOptions,
): Promise<[LoadResult, LoadResult]> {
  if (!a || !b) throw new Error('both servers are needed');
  const pools = [new Samples(), new Samples()] as const;
  const runs: [LoadResult[], LoadResult[]] = [[], []];
  for (const which of [0, 1, 1, 0] as const) {
    await settle(options.modelUrl);
    const target = which === 0 ? a : b;
    const before = treeCpuMs(target.pid);
    const load = await turnLoad(target, options.connections, options.durationSec / 2, pools[which]);
    load.serverCpuMsPerRequest = (treeCpuMs(target.pid) - before) / Math.max(1, load.requests);
    runs[which].push(load);
  }
  return [combine(runs[0], pools[0]), combine(runs[1], pools[1])];
}

/** CPU time of a process and every live descendant (a pool's primary and its workers), from /proc. */
function treeCpuMs(pid: number): number {
  let total = cpuTimeMs(pid) ?? 0;
  for (const child of childrenOf(pid)) total += treeCpuMs(child);
  return total;
}

function childrenOf(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((task) =>
      readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8')
        .trim()
        .split(/\s+/)
        .filter(Boolean)
        .map(Number),
    );
  } catch {
    return [];
  }
}

export function workersSection(rows: WorkersRow[]): string[] {
  return [
    '## One port, one or two server processes (WORKERS=1 vs WORKERS=2)',
    '',
    'The same unary ContinueConversation load (each connection on its own conversation) against a server ' +
      'started with WORKERS=1 and one started with WORKERS=2, in alternating half-length slices (A B B A). ' +
      'Embedded: no Redis, so the two workers share sessions, locks and idempotency through ' +
      'DATA_DIR/coordination.db (one process keeps them in memory). Server CPU is user + system time of the ' +
      'whole process tree (the primary and its workers). The load generator and the model stand-in share ' +
      'the same cores.',
    '',
    table(
      ['store', 'conns', 'WORKERS', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'server CPU ms/turn', 'speed-up'],
      rows.flatMap((row) => [
        [row.backend, row.connections, 1, ...cells(row.one), ''],
        [row.backend, row.connections, 2, ...cells(row.two), `${row.speedup.toFixed(2)}×`],
      ]),
    ),
  ];
}

function cells(l: LoadResult): Array<string | number> {
  return [n0(l.reqPerSec), ms(l.p50), ms(l.p99), l.errors + l.non2xx, cpu(l)];
}
