import { readFileSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';
import type { LoadResult } from './load.ts';
import { cpu, ms, n0, pct, signed } from './markdown.ts';
import type { GrowthRow, MemoryReport, ProtocolRow } from './phases.ts';
import type { ProfileSummary } from './profile.ts';
import type { RedisTripsCase } from './redis-trips.ts';
import type { StreamingResults } from './streaming.ts';
import { streamingTargets } from './streaming-report.ts';
import type { WorkersRow } from './workers.ts';

export interface Machine {
  nproc: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  note: string;
}

export interface ThroughputRow {
  connections: number;
  parley: LoadResult;
  baseline: LoadResult;
  /** Parley req/s ÷ baseline req/s. */
  ratio: number;
  overheadP50Ms: number;
  overheadP99Ms: number;
}

export interface Target {
  target: string;
  measured: string;
  /** null when the run did not measure it. */
  met: boolean | null;
}

export interface BenchResults {
  startedAt: string;
  machine: Machine;
  settings: Record<string, string | number | boolean>;
  throughput: ThroughputRow[];
  congo: LoadResult[] | null;
  growth: GrowthRow[];
  protocol: ProtocolRow[];
  memory: MemoryReport | null;
  profile: (ProfileSummary & { load: LoadResult }) | null;
  metrics: string[] | null;
  streaming: StreamingResults | null;
  redisTrips: RedisTripsCase[] | null;
  /** WORKERS=1 vs WORKERS=2 (absent from runs before it existed). */
  workers?: WorkersRow[] | null;
  targets: Target[];
}

export function describeMachine(): Machine {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  return {
    nproc: availableParallelism(),
    cpuModel: /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    note:
      'The load generator (autocannon, in the runner process), the model stand-in, Redis, the server ' +
      'and the baseline all share these cores: compare ratios within a run, not absolute numbers across machines.',
  };
}

/** The targets next to what this run measured. Goals, reported; never asserted. */
export function evaluateTargets(r: BenchResults): Target[] {
  const at = (c: number) => r.throughput.find((t) => t.connections === c);
  const size = (s: number) => r.growth.find((g) => g.size === s);
  const c64 = at(64);
  const c1 = at(1);
  const g10 = size(10);
  const g1k = size(1000);
  const g10k = size(10_000);
  const m = r.memory;
  const base = m?.afterWarmup?.rss;
  const drift = (v?: number) => (base && v ? ((v - base) / base) * 100 : Number.NaN);
  return [
    {
      target: 'Throughput ≥ 60% of the baseline at 64 connections',
      measured: c64
        ? `${pct(c64.ratio)} (${n0(c64.parley.reqPerSec)} vs ${n0(c64.baseline.reqPerSec)} req/s; ` +
          `server CPU ${cpu(c64.parley)} vs ${cpu(c64.baseline)} ms/turn)`
        : '-',
      met: c64 ? c64.ratio >= 0.6 : null,
    },
    cpuTarget(c64),
    {
      target: 'Latency over the baseline at 1 connection ≤ 1 ms at p50',
      measured: c1 ? `${ms(c1.overheadP50Ms)} ms` : '-',
      met: c1 ? c1.overheadP50Ms <= 1 : null,
    },
    {
      target: 'Latency over the baseline at 1 connection ≤ 5 ms at p99',
      measured: c1 ? `${ms(c1.overheadP99Ms)} ms` : '-',
      met: c1 ? c1.overheadP99Ms <= 5 : null,
    },
    {
      target: 'p50 at 10,000 messages ≤ 1.2× p50 at 10 messages',
      measured: g10 && g10k ? `${(g10k.load.p50 / g10.load.p50).toFixed(2)}×` : '-',
      met: g10 && g10k ? g10k.load.p50 <= 1.2 * g10.load.p50 : null,
    },
    {
      target: 'Tokens per turn flat (10,000 within 10% of 1,000 messages)',
      measured:
        g10 && g1k && g10k ? `${g10.promptTokens} / ${g1k.promptTokens} / ${g10k.promptTokens} tokens` : '-',
      met: g1k && g10k ? Math.abs(g10k.promptTokens - g1k.promptTokens) <= 0.1 * g1k.promptTokens : null,
    },
    {
      target: 'RSS flat (±10%) after warm-up (peak and end vs. after the first 10%)',
      measured: m ? `peak ${signed(drift(m.peak?.rss))}, end ${signed(drift(m.end?.rss))}` : '-',
      met: m && base ? Math.abs(drift(m.peak?.rss)) <= 10 && Math.abs(drift(m.end?.rss)) <= 10 : null,
    },
    ...streamingTargets(r.streaming),
  ];
}

/** Issue 14: the server's CPU per turn within 3× the bare baseline's at 64 connections. */
function cpuTarget(c64: ThroughputRow | undefined): Target {
  const parley = c64?.parley.serverCpuMsPerRequest;
  const baseline = c64?.baseline.serverCpuMsPerRequest;
  const target = 'Server CPU per turn ≤ 3× the baseline at 64 connections';
  if (parley === undefined || baseline === undefined) return { target, measured: '-', met: null };
  const ratio = parley / baseline;
  return {
    target,
    measured: `${ratio.toFixed(1)}× (${parley.toFixed(2)} vs ${baseline.toFixed(2)} ms/turn)`,
    met: ratio <= 3,
  };
}
