import type { LoadResult } from './load.ts';
import type { MemoryReport } from './phases.ts';
import type { ProfileSummary } from './profile.ts';
import type { RedisTripsCase } from './redis-trips.ts';
import type { BenchResults } from './report.ts';
import { streamingSection } from './streaming-report.ts';
import { workersSection } from './workers.ts';

/** The whole report as Markdown: what `pnpm bench` prints and writes to results/latest.md. */
export function toMarkdown(r: BenchResults): string {
  const mc = r.machine;
  const settings = Object.entries(r.settings).map(([k, v]) => `${k}=${v}`);
  const out = [
    '# Parley benchmark results',
    '',
    `Run ${r.startedAt}. Machine: ${mc.nproc} CPUs (${mc.cpuModel}), ${mc.memoryGiB} GiB, Node ${mc.node}.`,
    mc.note,
    '',
    `Settings: ${settings.join(', ')}.`,
    '',
    '## Targets (goals, not assertions)',
    '',
    table(
      ['Target', 'Measured', 'Met'],
      r.targets.map((t) => [
        t.target,
        t.measured,
        t.met === null ? 'not measured' : t.met ? 'met' : 'not met',
      ]),
    ),
    '',
    ...throughputSection(r),
    '',
    ...growthSection(r),
    '',
    ...protocolSection(r),
  ];
  if (r.redisTrips) out.push('', ...redisTripsSection(r.redisTrips));
  if (r.streaming) out.push('', ...streamingSection(r.streaming));
  if (r.workers) out.push('', ...workersSection(r.workers));
  if (r.memory) out.push('', ...memorySection(r.memory));
  if (r.profile) out.push('', ...profileSection(r.profile));
  if (r.metrics) out.push('', '## /metrics (excerpt)', '', '```', ...r.metrics, '```');
  return `${out.join('\n')}\n`;
}

function throughputSection(r: BenchResults): string[] {
  const head = ['conns', 'server', ...LOAD_HEADERS, 'server CPU ms/turn', 'ratio', 'Δp50 ms', 'Δp99 ms'];
  const out = [
    '## ContinueConversation throughput and latency (Parley vs. bare baseline)',
    '',
    'Each connection continues its own conversation (turns on one conversation are serialized by design). ' +
      'The baseline (tests/bench/baseline-server.ts) is a bare node:http server doing the I/O a turn needs: ' +
      'JSON parse, an ownership read, Redis SET NX PX + EVAL release, two SQLite appends and the 60-message ' +
      'window read (same better-sqlite3, WAL), one node:http call to the same stand-in. The two servers run ' +
      'in alternating half-length slices (A B B A). Server CPU is user + system time of the server process; ' +
      'neither carries the memory probe here (the memory section restarts Parley with it).',
    '',
    table(
      head,
      r.throughput.flatMap((t) => [
        [
          t.connections,
          'parley',
          ...loadCells(t.parley),
          cpu(t.parley),
          pct(t.ratio),
          ms(t.overheadP50Ms),
          ms(t.overheadP99Ms),
        ],
        [t.connections, 'baseline', ...loadCells(t.baseline), cpu(t.baseline), '', '', ''],
      ]),
    ),
  ];
  if (r.congo) {
    out.push(
      '',
      'Same turns with MONGODB_URL pointing at CongoDB (an in-process MongoDB wire-protocol peer from npm, in ' +
        'its own process): this exercises the MongoDB store code and driver, **not MongoDB performance**.',
      '',
      table(
        ['conns', ...LOAD_HEADERS, 'server CPU ms/turn'],
        r.congo.map((l) => [l.connections, ...loadCells(l), cpu(l)]),
      ),
    );
  }
  return out;
}

function growthSection(r: BenchResults): string[] {
  return [
    '## Growth: one connection, history of N messages',
    '',
    'Histories were written before the server started, through the server’s own ' +
      'EmbeddedConversationStore.append (not the API). Turns rotate over each size’s conversations (one turn ' +
      'each for size 10), and sizes take turns in slices. Prompt tokens: the stand-in’s count (4 characters a ' +
      'token + 4 per message), mean per model call.',
    '',
    table(
      [
        'messages',
        'turns',
        'p50 ms',
        'p90 ms',
        'p99 ms',
        'prompt tokens',
        'prompt msgs',
        'prompt bytes',
        'model calls/turn',
      ],
      r.growth.map((g) => [
        `${g.size.toLocaleString('en-US')} (→${g.sizeAtEnd.toLocaleString('en-US')})`,
        g.load.requests,
        ms(g.load.p50),
        ms(g.load.p90),
        ms(g.load.p99),
        g.promptTokens,
        g.promptMessages,
        g.promptBytes,
        g.modelCallsPerTurn.toFixed(2),
      ]),
    ),
  ];
}

function protocolSection(r: BenchResults): string[] {
  return [
    '## Protocol: DescribeConversation of 50 messages',
    '',
    table(
      ['encoding', 'conns', ...LOAD_HEADERS, 'request B', 'response B'],
      r.protocol.map((p) => [
        p.encoding,
        p.connections,
        ...loadCells(p.load),
        p.requestBytes,
        p.responseBytes,
      ]),
    ),
  ];
}

function memorySection(m: MemoryReport): string[] {
  const row = (name: string, s: MemoryReport['start']) => [
    name,
    s ? mib(s.rss) : '-',
    s ? mib(s.heapUsed) : '-',
  ];
  const failed = m.load.errors + m.load.non2xx;
  return [
    `## Memory over ${m.requests.toLocaleString('en-US')} turns (64 connections, ${n0(m.load.reqPerSec)} req/s, ${failed} failed)`,
    '',
    `Sampled ${m.samples}× via a probe preloaded into the server (process.memoryUsage over IPC).`,
    '',
    table(
      ['when', 'RSS MiB', 'heap used MiB'],
      [
        row('start', m.start),
        row('after warm-up (10%)', m.afterWarmup),
        row('peak RSS', m.peak),
        row('end', m.end),
      ],
    ),
  ];
}

function redisTripsSection(cases: RedisTripsCase[]): string[] {
  return [
    '## Redis round trips per ContinueConversation',
    '',
    'Unary turns one at a time against a private redis-server watched with MONITOR; a MULTI…EXEC is one',
    'round trip, and the commands Lua scripts run inside Redis are not counted.',
    '',
    table(
      ['call', 'round trips', 'commands'],
      cases.map((c) => [
        c.name,
        c.roundTrips.toFixed(2),
        Object.entries(c.commands)
          .map(([name, n]) => `${name} ${n}`)
          .join(', '),
      ]),
    ),
  ];
}

function profileSection(p: ProfileSummary & { load: LoadResult }): string[] {
  const kept = p.file
    ? `Profile kept at ${p.file}.`
    : 'Set BENCH_PROFILE_OUT=<path> to keep the .cpuprofile.';
  const scope = p.windowed
    ? 'Samples taken during the measured load only'
    : 'All samples (start-up included)';
  return [
    `## CPU profile of the server at 64 connections (${n0(p.load.reqPerSec)} req/s while profiling)`,
    '',
    `${scope}: ${n0(p.totalMs)} ms non-idle, ${n0(p.idleMs)} ms idle. ${kept}`,
    '',
    table(
      ['#', 'self ms', '%', 'function'],
      p.functions.map((f, i) => [i + 1, n0(f.selfMs), f.percent.toFixed(1), f.name]),
    ),
    '',
    table(
      ['self ms', '%', 'where'],
      p.places.map((f) => [n0(f.selfMs), f.percent.toFixed(1), f.name]),
    ),
  ];
}

const LOAD_HEADERS = ['req/s', 'p50 ms', 'p90 ms', 'p99 ms', 'errors', 'non-2xx'];

function loadCells(l: LoadResult): Array<string | number> {
  return [n0(l.reqPerSec), ms(l.p50), ms(l.p90), ms(l.p99), l.errors, l.non2xx];
}

export function table(headers: string[], rows: Array<Array<string | number>>): string {
  const line = (cells: Array<string | number>) =>
    `| ${cells.map((c) => String(c).replace(/\|/g, '\\|')).join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n');
}

export const n0 = (v: number) => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : '-');
export const ms = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : '-');
export const pct = (v: number) => (Number.isFinite(v) ? `${(v * 100).toFixed(0)}%` : '-');
export const signed = (v: number) => (Number.isFinite(v) ? `${v >= 0 ? '+' : ''}${v.toFixed(1)}%` : '-');
export const cpu = (l: LoadResult) =>
  l.serverCpuMsPerRequest === undefined ? '-' : l.serverCpuMsPerRequest.toFixed(2);
const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
