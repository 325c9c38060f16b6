import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient } from 'redis';
import { startPrivateRedis } from '../support/private-redis.ts';
import { AUTH, prefill, startBaselineConversations, startConversations } from './fixtures.ts';
import type { LoadResult } from './load.ts';
import { toMarkdown } from './markdown.ts';
import {
  baselineTarget,
  growth,
  interleaved,
  memory,
  parleyTarget,
  profiledTurnLoad,
  protocol,
  settle,
  type TurnTarget,
  turnLoad,
} from './phases.ts';
import { type BenchProcess, REPO_ROOT } from './processes.ts';
import { summarizeProfile } from './profile.ts';
import { measureRedisTrips } from './redis-trips.ts';
import {
  parleyStreamBody,
  type RelayPacing,
  type RelayRow,
  type RelayTarget,
  relayRun,
  relayWarmUp,
  warmUpShortSeconds,
} from './relay-bench.ts';
import { type RelayResults, relayMarkdown } from './relay-report.ts';
import { type BenchResults, describeMachine, evaluateTargets, type ThroughputRow } from './report.ts';
import {
  type RunningServer,
  startBaseline,
  startCongoProcess,
  startModel,
  startParley,
  startRelayBaseline,
} from './servers.ts';
import { measureStartup, startupMarkdown } from './startup.ts';
import { concurrentRun, cpuRun, firstTextRun, type StreamingResults } from './streaming.ts';
import { workersRun } from './workers.ts';

// `pnpm bench`: prints throughput, latency, growth, memory, protocol and profile numbers and writes them
// to tests/bench/results/latest.{json,md}. Asserts nothing: these machines are shared and noisy.

const env = process.env;
const settings = {
  durationSec: Number(env.BENCH_DURATION ?? 10),
  memoryRequests: Number(env.BENCH_MEMORY_REQUESTS ?? 100_000),
  growthTurns: Number(env.BENCH_GROWTH_TURNS ?? 500),
  congo: env.BENCH_CONGO !== '0',
  profile: env.BENCH_PROFILE !== '0',
  startup: env.BENCH_STARTUP !== '0',
  redisUrl: env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379',
  streaming: env.BENCH_STREAMING !== '0',
  /**
   * `streaming`: run only the streaming benchmarks (about 90 s); `cpu`: only their CPU per turn (about
   * 40 s); `workers`: only WORKERS=1 vs 2 (~1 min);
   * `relay`: only the relay side by side (about 4 min).
   */
  only: env.BENCH_ONLY ?? '',
  workers: env.BENCH_WORKERS !== '0',
  concurrentStreams: Number(env.BENCH_STREAMS ?? 2000),
  relay: env.BENCH_RELAY !== '0',
  /** `--quick` (or BENCH_QUICK=1): a smoke run of the relay side by side (100 streams, 5 s). */
  quick: process.argv.includes('--quick') || env.BENCH_QUICK === '1',
  /** Numbers of concurrent streams for the relay side by side (default 100,300,600,1000). */
  relayStreams: env.BENCH_RELAY_STREAMS ?? '100,300,600,1000',
  /** Server processes for a second Parley row set (WORKERS), 0 for none. */
  relayWorkers: Number(env.BENCH_RELAY_WORKERS ?? 0),
  /**
   * BENCH_FROM_SOURCE=1: the throughput, growth, protocol, memory, streaming, profile, workers and
   * CongoDB phases run the server from source under tsx instead of the compiled bundle (what production
   * runs, and what the goals are for). The relay side by side always runs the bundle.
   */
  fromSource: env.BENCH_FROM_SOURCE === '1',
};
const CONNECTIONS = [1, 16, 64];
const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url));

const log = (text: string) => process.stderr.write(`bench: ${text}\n`);
let built = false;
/** Builds the bundles (`pnpm build`) once per run, before the first phase that starts the compiled server. */
const ensureBuilt = () => {
  if (built) return;
  log('pnpm build');
  execFileSync('pnpm', ['build'], { cwd: REPO_ROOT, stdio: 'ignore' });
  built = true;
};
/** How the phases other than the relay's start Parley: compiled unless BENCH_FROM_SOURCE=1. */
const benchServer = () => {
  if (settings.fromSource) return {};
  ensureBuilt();
  return { compiled: true };
};
const started: BenchProcess[] = [];
const track = (server: RunningServer) => {
  started.push(server.proc);
  return server;
};
const stop = async (server: RunningServer) => {
  await server.proc.stop();
  started.splice(started.indexOf(server.proc), 1);
};

async function main(): Promise<void> {
  // First, before the load phases heat the machine: compiled server start, idle RSS, CLI --help.
  const relayOnly = settings.only === 'relay';
  const startup = settings.startup && !relayOnly ? startupMarkdown(await measureStartup()) : '';
  // measureStartup ran `pnpm build`.
  if (startup) built = true;
  const work = await mkdtemp(join(tmpdir(), 'parley-bench-'));
  const prefix = `parley-bench-${randomUUID().slice(0, 8)}:`;
  const results = emptyResults();
  try {
    const model = track(await startModel());
    if ((settings.relay && settings.only === '') || relayOnly) await relayPhase(work, model.url, prefix);
    if (relayOnly) return;
    const only = settings.only;
    if (settings.streaming && only !== 'workers')
      results.streaming = await streamingRun(work, model.url, prefix);
    if (settings.workers && only !== 'streaming' && only !== 'cpu') {
      results.workers = await workersRun({
        work,
        modelUrl: model.url,
        redisUrl: settings.redisUrl,
        prefix,
        durationSec: settings.durationSec,
        connections: 64,
        server: benchServer(),
        log,
        track,
        stop,
      });
    }
    if (only === '') await mainPhases(work, prefix, results, model.url);
  } finally {
    for (const proc of started.reverse()) await proc.stop();
    await deleteKeys(prefix);
    await rm(work, { recursive: true, force: true });
  }
  if (relayOnly) return;
  await writeResults(results);
  if (startup) {
    await writeFile(join(RESULTS_DIR, 'startup.md'), startup);
    process.stdout.write(`\n${startup}`);
  }
}

/**
 * The streaming relay side by side (issue 18): the compiled server's SSE endpoint next to a bare relay,
 * at each number of concurrent streams, alternating which goes first. Written to latest-relay.{json,md}.
 */
async function relayPhase(work: string, modelUrl: string, prefix: string): Promise<void> {
  const pacing: RelayPacing = { pieces: 100, intervalMs: 40, seconds: settings.quick ? 5 : 12 };
  const levels = settings.quick ? [100] : relayLevels();
  ensureBuilt();
  const bare = track(await startRelayBaseline(modelUrl));
  const parley = track(
    await startParley({
      name: 'parley (compiled)',
      compiled: true,
      noRedis: true,
      modelUrl,
      dataDir: join(work, 'relay'),
      redisUrl: settings.redisUrl,
      redisPrefix: `${prefix}relay:`,
    }),
  );
  const targets = [bareTarget(bare), parleyRelayTarget('parley', parley)];
  // Every row then measures a server the JIT has compiled, as the levels after the first always did
  // (without it the first level, and each pool's, also measured start-up compilation).
  for (const target of targets) await warmUp(target, pacing);
  const rows: RelayRow[] = [];
  for (const [i, streams] of levels.entries()) {
    for (const target of i % 2 === 0 ? targets : [...targets].reverse()) {
      log(`relay: ${target.name} at ${streams} streams (${pacing.seconds} s + the last replies)`);
      rows.push(await relayRun(target, streams, pacing));
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  }
  await stop(bare);
  await stop(parley);
  if (settings.relayWorkers > 1 && !settings.quick)
    rows.push(...(await relayWorkersRun(work, modelUrl, prefix, pacing)));
  const results: RelayResults = {
    startedAt: new Date().toISOString(),
    machine: machineLine(),
    pacing,
    rows,
  };
  const name = settings.quick ? 'latest-relay-quick' : 'latest-relay';
  await mkdir(RESULTS_DIR, { recursive: true });
  await writeFile(join(RESULTS_DIR, `${name}.json`), `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(join(RESULTS_DIR, `${name}.md`), relayMarkdown(results));
  process.stdout.write(relayMarkdown(results));
}

/**
 * Parley with WORKERS processes sharing Redis, at the two highest numbers of streams: a private
 * redis-server (BENCH_REDIS_URL's is shared with whatever else runs on the machine), and both settings of
 * ACCEPT_SOCKETS side by side, alternating which goes first: one socket (the primary hands each new
 * connection to a worker) and the default (every worker takes its own).
 */
async function relayWorkersRun(work: string, modelUrl: string, prefix: string, pacing: RelayPacing) {
  const workers = settings.relayWorkers;
  const redis = await startPrivateRedis();
  const start = (acceptSockets: number) =>
    startParley({
      name: `parley ×${workers}`,
      compiled: true,
      modelUrl,
      dataDir: join(work, `relay-workers-${acceptSockets}`),
      redisUrl: redis.url,
      redisPrefix: `${prefix}relay-workers:`,
      env: { WORKERS: String(workers), ACCEPT_SOCKETS: String(acceptSockets) },
    });
  const rows: RelayRow[] = [];
  try {
    const variants = [
      { name: `parley ×${workers} (Redis, one socket)`, server: track(await start(1)) },
      { name: `parley ×${workers} (Redis)`, server: track(await start(8)) },
    ];
    for (const { name, server } of variants) await warmUp(parleyRelayTarget(name, server), pacing);
    for (const [i, streams] of relayLevels().slice(-2).entries()) {
      for (const { name, server } of i % 2 === 0 ? variants : [...variants].reverse()) {
        log(`relay: ${name} at ${streams} streams`);
        rows.push(await relayRun(parleyRelayTarget(name, server), streams, pacing));
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    }
    for (const { server } of variants) await stop(server);
  } finally {
    await redis.kill();
  }
  return rows;
}

function warmUp(target: RelayTarget, pacing: RelayPacing): Promise<void> {
  log(
    `relay: warming up ${target.name} (100 streams, 2-piece for ${warmUpShortSeconds()} s then 3 s; not measured)`,
  );
  return relayWarmUp(target, pacing);
}

function relayLevels(): number[] {
  return settings.relayStreams.split(',').map(Number);
}

function bareTarget(server: RunningServer): RelayTarget {
  return {
    name: 'bare relay',
    url: server.url,
    path: '/stream',
    headers: { 'content-type': 'application/json' },
    body: (_worker, message) => JSON.stringify({ message }),
    proc: server.proc,
  };
}

function parleyRelayTarget(name: string, server: RunningServer): RelayTarget {
  return {
    name,
    url: server.url,
    path: '/sse/parley.chat.v1.ChatService/StartConversation',
    headers: { ...AUTH, 'content-type': 'application/json' },
    body: parleyStreamBody,
    proc: server.proc,
  };
}

function machineLine(): string {
  const m = describeMachine();
  return `${m.nproc} CPUs (${m.cpuModel}), ${m.memoryGiB} GiB, Node ${m.node}`;
}

/** Throughput, growth, protocol, memory, profile and CongoDB phases (all but streaming). */
async function mainPhases(
  work: string,
  prefix: string,
  results: BenchResults,
  modelUrl: string,
): Promise<void> {
  log(`stand-in at ${modelUrl}; prefilling long conversations`);
  const parleyDir = join(work, 'parley');
  const prefillStart = performance.now();
  const groups = await prefill(parleyDir, [
    { size: 10, count: settings.growthTurns },
    { size: 1000, count: 20 },
    { size: 10_000, count: 5 },
    { size: 50, count: 1 },
  ]);
  log(`prefilled in ${((performance.now() - prefillStart) / 1000).toFixed(1)} s`);
  // Without the memory probe while its CPU a turn is compared with the baseline's (which carries none:
  // the probe's hooks cost a Parley turn ~17%); the memory phase below restarts it with the probe.
  const startMain = (probe: boolean) =>
    startParley({
      name: probe ? 'parley (probed)' : 'parley',
      ...benchServer(),
      probe,
      modelUrl: modelUrl,
      dataDir: parleyDir,
      redisUrl: settings.redisUrl,
      redisPrefix: prefix,
    });
  let parley = track(await startMain(false));
  const parleyTurns = parleyTarget(parley, await startConversations(parley.url, 64, 't'));
  results.throughput = await throughputRun(work, modelUrl, prefix, parleyTurns);

  log(`growth: ${settings.growthTurns} turns per history size`);
  const histories = groups.filter((g) => g.size !== 50);
  results.growth = await growth(parley.url, modelUrl, histories, settings.growthTurns);

  const described = groups.find((g) => g.size === 50)?.conversations[0];
  if (!described) throw new Error('the 50-message conversation is missing');
  log('protocol: DescribeConversation, JSON vs protobuf');
  results.protocol = await protocol(parley.url, described, settings.durationSec);

  log(`memory: ${settings.memoryRequests} turns`);
  await stop(parley);
  parley = track(await startMain(true));
  await settle(modelUrl);
  const { conversations } = parleyTurns;
  results.memory = await memory(parley.proc, parley.url, conversations, settings.memoryRequests);
  results.metrics = await metricsExcerpt(parley.url);
  await stop(parley);

  log('redis round trips per turn (private redis-server)');
  results.redisTrips = await measureRedisTrips();
  if (settings.profile) results.profile = await profileRun(work, modelUrl, prefix);
  if (settings.congo) results.congo = await congoRun(work, modelUrl, prefix);
}

/** Issue 11's streaming numbers, on a fresh server (its RSS is not inflated by the other phases). */
async function streamingRun(work: string, modelUrl: string, prefix: string): Promise<StreamingResults> {
  const server = track(
    await startParley({
      name: 'parley (streaming)',
      ...benchServer(),
      modelUrl,
      dataDir: join(work, 'streaming'),
      redisUrl: settings.redisUrl,
      redisPrefix: `${prefix}streaming:`,
    }),
  );
  const results: StreamingResults = { firstText: [], concurrent: null, cpu: null };
  log('streaming: warm-up, then first text at 1 and 64 streams (8 s each)');
  await firstTextRun(server.url, 8, 2);
  if (settings.only !== 'cpu') {
    for (const streams of [1, 64]) results.firstText.push(await firstTextRun(server.url, streams, 8));
    log(`streaming: ${settings.concurrentStreams} concurrent 10 s streams`);
    results.concurrent = await concurrentRun(server.url, server.proc, settings.concurrentStreams);
  }
  log('streaming: server CPU per turn, unary vs SSE-streamed vs OpenAI-streamed (30 s)');
  // Right after 2,000 streams a loaded machine sometimes refuses a connection: keep the numbers so far.
  results.cpu = await cpuRun(server.url, server.proc, 10).catch((err: unknown) => {
    log(`streaming: CPU per turn not measured (${String(err)})`);
    return null;
  });
  await stop(server);
  return results;
}

function emptyResults(): BenchResults {
  return {
    startedAt: new Date().toISOString(),
    machine: describeMachine(),
    settings: {
      ...settings,
      store: 'embedded SQLite (no MongoDB server on these machines)',
      redis: 'real Redis (sessions, turn locks, idempotency)',
      model: 'instant stand-in in its own process',
      server: settings.fromSource ? 'from source under tsx' : 'compiled (pnpm build: server/dist)',
      telemetry: telemetrySetting(),
    },
    throughput: [],
    congo: null,
    growth: [],
    protocol: [],
    memory: null,
    profile: null,
    redisTrips: null,
    metrics: null,
    streaming: null,
    targets: [],
  };
}

/** Parley against the bare baseline at each connection count, in alternating slices. */
async function throughputRun(
  work: string,
  modelUrl: string,
  prefix: string,
  parleyTurns: TurnTarget,
): Promise<ThroughputRow[]> {
  const dataDir = join(work, 'baseline');
  await mkdir(dataDir);
  const baseline = track(
    await startBaseline({
      modelUrl,
      dataDir,
      redisUrl: settings.redisUrl,
      redisPrefix: `${prefix}baseline:`,
    }),
  );
  const baselineTurns = baselineTarget(baseline, await startBaselineConversations(baseline.url, 64, 't'));
  const warm = Math.max(1, Math.min(3, settings.durationSec / 3));
  log(`warming up both servers (${warm} s each)`);
  await turnLoad(parleyTurns, 16, warm);
  await turnLoad(baselineTurns, 16, warm);
  const rows: ThroughputRow[] = [];
  for (const connections of CONNECTIONS) {
    log(`throughput at ${connections} connection(s): ${settings.durationSec} s each, in alternating halves`);
    const duration = settings.durationSec;
    const [p, b] = await interleaved(parleyTurns, baselineTurns, connections, duration, modelUrl);
    rows.push(compare(connections, p, b));
  }
  await stop(baseline);
  return rows;
}

async function writeResults(results: BenchResults): Promise<void> {
  results.targets = evaluateTargets(results);
  const markdown = toMarkdown(results);
  await mkdir(RESULTS_DIR, { recursive: true });
  // A streaming-, CPU- or workers-only run keeps the last full run's files.
  const name = settings.only ? `latest-${settings.only}` : 'latest';
  await writeFile(join(RESULTS_DIR, `${name}.json`), `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(join(RESULTS_DIR, `${name}.md`), markdown);
  process.stdout.write(markdown);
  log(`written to ${join(RESULTS_DIR, `${name}.json`)} and ${name}.md`);
}

/** The server's telemetry defaults unless the shell sets OTEL_* (which the servers inherit). */
function telemetrySetting(): string {
  const otel = Object.keys(env).filter((key) => key.startsWith('OTEL_'));
  if (otel.length > 0) return `server defaults plus inherited ${otel.join(' ')}`;
  return 'server defaults: /metrics on, tracing context propagated but no span exporter configured';
}

function compare(connections: number, parley: LoadResult, baseline: LoadResult): ThroughputRow {
  return {
    connections,
    parley,
    baseline,
    ratio: parley.reqPerSec / baseline.reqPerSec,
    overheadP50Ms: parley.p50 - baseline.p50,
    overheadP99Ms: parley.p99 - baseline.p99,
  };
}

/** A fresh server with --cpu-prof under 64 connections; the profile is written when it exits. */
async function profileRun(work: string, modelUrl: string, prefix: string) {
  const profileDir = join(work, 'cpu-profile');
  const dataDir = join(work, 'profiled');
  log(`profile: 64 connections for ${settings.durationSec} s under --cpu-prof`);
  const server = track(
    await startParley({
      name: 'parley (profiled)',
      ...benchServer(),
      modelUrl,
      dataDir,
      redisUrl: settings.redisUrl,
      redisPrefix: `${prefix}profiled:`,
      cpuProfDir: profileDir,
    }),
  );
  const turns = parleyTarget(server, await startConversations(server.url, 64, 'p'));
  const { load, window } = await profiledTurnLoad(turns, modelUrl, {
    warm: 16,
    warmSec: 2,
    connections: 64,
    seconds: settings.durationSec,
  });
  await stop(server);
  const summary = await summarizeProfile(profileDir, window);
  if (env.BENCH_PROFILE_OUT) await copyFile(summary.file, env.BENCH_PROFILE_OUT);
  return { ...summary, file: env.BENCH_PROFILE_OUT ?? '', load };
}

/** The same turns on the MongoDB store code path, against CongoDB (not MongoDB: see the report). */
async function congoRun(work: string, modelUrl: string, prefix: string): Promise<LoadResult[]> {
  log('CongoDB: throughput on the MongoDB store code path');
  const congo = track(await startCongoProcess());
  const server = track(
    await startParley({
      name: 'parley (congodb)',
      ...benchServer(),
      modelUrl,
      dataDir: join(work, 'congo'),
      redisUrl: settings.redisUrl,
      redisPrefix: `${prefix}congo:`,
      mongoUrl: congo.url,
    }),
  );
  const turns = parleyTarget(server, await startConversations(server.url, 64, 'm'));
  const rows: LoadResult[] = [];
  await turnLoad(turns, 16, 2);
  for (const connections of CONNECTIONS) {
    await settle(modelUrl);
    rows.push(await turnLoad(turns, connections, settings.durationSec));
  }
  await stop(server);
  await stop(congo);
  return rows;
}

/** A few telling lines of /metrics, or null when the server has no such endpoint (yet). */
async function metricsExcerpt(baseUrl: string): Promise<string[] | null> {
  const res = await fetch(`${baseUrl}/metrics`, { headers: AUTH }).catch(() => null);
  if (!res?.ok) return null;
  const text = await res.text();
  const wanted =
    /^(\w+_)?(process_resident_memory_bytes|nodejs_heap_size_used_bytes|rpc_duration_seconds_(count|sum)|model_duration_seconds_(count|sum))\b/;
  return text
    .split('\n')
    .filter((line) => wanted.test(line))
    .slice(0, 20);
}

/** Deletes this run's Redis keys only (never FLUSHALL). */
async function deleteKeys(prefix: string): Promise<void> {
  const client = createClient({ url: settings.redisUrl });
  client.on('error', () => {});
  try {
    await client.connect();
    const keys: string[] = [];
    for await (const batch of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) keys.push(...batch);
    if (keys.length > 0) await client.del(keys);
    await client.quit();
  } catch (err) {
    log(`could not delete Redis keys under ${prefix}: ${String(err)}`);
    client.destroy();
  }
}

// Interrupted: end the servers this run started (by their pids) rather than leave them behind.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const proc of started) proc.child.kill('SIGTERM');
    log(`interrupted: Redis keys under parley-bench-* and the temp dir of this run may remain`);
    process.exit(130);
  });
}

await main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
