import { execFileSync } from 'node:child_process';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPrivateRedis } from '../support/private-redis.ts';
import { API_KEY } from './fixtures.ts';
import { monotonicUs, printProfile, summarizeProfile } from './profile.ts';
import { parleyStreamBody, type RelayTarget, relayRun, relayWarmUp } from './relay-bench.ts';
import { type RunningServer, startModel, startParley, startRelayBaseline } from './servers.ts';

// Where a streamed piece's CPU goes: one server (the compiled Parley, or BENCH_TARGET=bare for the bare
// relay) under --cpu-prof while BENCH_STREAMS (300) streams of BENCH_PIECES (100) pieces run for
// BENCH_DURATION (8) s; prints the row and the hottest functions and places. BENCH_PROFILE=0 skips the
// profiler (e.g. to split CPU per stream from CPU per piece with a few pieces a stream); BENCH_PROFILE_OUT=dir
// keeps the .cpuprofile (open it in Chrome DevTools). BENCH_NODE_ARGS adds Node/V8 options to Parley's
// command line (e.g. `--max-semi-space-size=2`, to weigh a flag's CPU). Needs `pnpm build`; BENCH_MAIN runs
// another compiled entry (from the repository root, e.g. a saved build), for before/after runs. On the
// private redis-server it also prints the Redis commands the servers sent per stream opened.
// BENCH_PROBE_MODEL_CALLS=1: the server's memory probe also times each request's arrival → its model call →
// the model's answer (one more AsyncLocalStorage in the server: it costs CPU).
// BENCH_WARMUP_STREAMS=n: n streams first, not measured, as the relay bench warms a server (relayWarmUp:
// 2-piece streams for BENCH_WARMUP_SHORT_SECONDS, 8, then 3 s as measured).
// Run from tests/: node --conditions=@parley/source --import tsx bench/relay-profile.ts

const env = process.env;
const streams = Number(env.BENCH_STREAMS ?? 300);
const seconds = Number(env.BENCH_DURATION ?? 8);
const pieces = Number(env.BENCH_PIECES ?? 100);
const bare = env.BENCH_TARGET === 'bare';
const profiled = env.BENCH_PROFILE !== '0';
/** WORKERS for Parley (then on Redis, as several processes need). */
const workers = Number(env.BENCH_WORKERS ?? 1);
/** BENCH_REQUEST_ID=0: streams without a request_id (no idempotency record, nothing relayed). */
const requestIds = env.BENCH_REQUEST_ID !== '0';
const work = await mkdtemp(join(tmpdir(), 'parley-relay-profile-'));
const profileDir = join(work, 'profile');
const model = await startModel();
// Several processes (or BENCH_WITH_REDIS=1) share a private redis-server (BENCH_REDIS_URL: another one);
// BENCH_WITH_REDIS=0 runs a pool on the embedded default instead.
const withRedis = env.BENCH_WITH_REDIS === '0' ? false : workers > 1 || env.BENCH_WITH_REDIS === '1';
const redis = withRedis && !env.BENCH_REDIS_URL ? await startPrivateRedis() : undefined;
let server: RunningServer | undefined;
try {
  const nodeArgs = env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  server = bare
    ? await startRelayBaseline(model.url, profiled ? profileDir : undefined, nodeArgs)
    : await startParley({
        name: 'parley (profiled)',
        compiled: true,
        noRedis: !withRedis,
        modelUrl: model.url,
        dataDir: join(work, 'data'),
        redisUrl: redis ? `redis://127.0.0.1:${redis.port}` : (env.BENCH_REDIS_URL ?? ''),
        redisPrefix: `parley-relay-profile-${process.pid}:`,
        env: { WORKERS: String(workers) },
        nodeArgs,
        ...(env.BENCH_MAIN ? { main: env.BENCH_MAIN } : {}),
        ...(profiled ? { cpuProfDir: profileDir } : {}),
      });
  const target: RelayTarget = {
    name: bare ? 'bare relay' : 'parley',
    url: server.url,
    path: bare ? '/stream' : '/sse/parley.chat.v1.ChatService/StartConversation',
    headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
    body: bare
      ? (_worker, message) => JSON.stringify({ message })
      : requestIds
        ? parleyStreamBody
        : (worker, message) =>
            JSON.stringify({ message, session: { platform: 'bench', user_id: `r-${worker}` } }),
    proc: server.proc,
  };
  const warmUpStreams = Number(env.BENCH_WARMUP_STREAMS ?? 0);
  if (warmUpStreams > 0) await relayWarmUp(target, { pieces, intervalMs: 40, seconds }, warmUpStreams);
  const commandsBefore = redis ? redisCommands(redis.port) : undefined;
  const fromUs = monotonicUs();
  const row = await relayRun(target, streams, { pieces, intervalMs: 40, seconds });
  const toUs = monotonicUs();
  if (redis && commandsBefore) {
    const after = redisCommands(redis.port);
    const perStream = Object.entries(after)
      .map(([name, calls]) => [name, (calls - (commandsBefore[name] ?? 0)) / row.opened] as const)
      .filter(([name, calls]) => name !== 'info' && name !== 'cpuMs' && calls > 0)
      .sort((x, y) => y[1] - x[1]);
    const total = perStream.reduce((sum, [, calls]) => sum + calls, 0);
    const list = perStream.map(([name, calls]) => `${name} ${calls.toFixed(2)}`).join(', ');
    const cpuMs = ((after.cpuMs ?? 0) - (commandsBefore.cpuMs ?? 0)) / row.opened;
    process.stdout.write(`redis commands per stream opened: ${total.toFixed(2)} (${list}); `);
    process.stdout.write(`redis-server CPU ${cpuMs.toFixed(2)} ms per stream\n`);
  }
  if (env.BENCH_SHOW_OUTPUT === '1')
    process.stdout.write(`server output (last 4 KB):\n${server.proc.output()}\n`);
  await server.proc.stop();
  const { firstDelta, firstDeltaSteady, firstTextOverhead, pieceDelay, connect, responseHeaders, ...rest } =
    row;
  const p = (x: { p50: number; p99: number }) => `${x.p50.toFixed(1)} / ${x.p99.toFixed(1)}`;
  process.stdout.write(
    `${JSON.stringify(rest)}\nfirst delta ${p(firstDelta)} (after the opening second ${p(firstDeltaSteady)}), overhead ${p(firstTextOverhead)}, `,
  );
  process.stdout.write(`delay per piece ${p(pieceDelay)}, `);
  process.stdout.write(
    `connect ${p(connect)} (${connect.samples}), response headers ${p(responseHeaders)}\n`,
  );
  if (profiled) {
    const summary = await summarizeProfile(profileDir, { fromUs, toUs }, 70);
    process.stdout.write(`non-idle ${summary.totalMs.toFixed(0)} ms, idle ${summary.idleMs.toFixed(0)} ms\n`);
    printProfile(summary);
  }
} finally {
  await server?.proc.stop();
  await model.proc.stop();
  await redis?.kill();
  if (env.BENCH_PROFILE_OUT) await cp(profileDir, env.BENCH_PROFILE_OUT, { recursive: true }).catch(() => {});
  await rm(work, { recursive: true, force: true });
}

/**
 * Commands the redis-server ran so far, by name (INFO commandstats; scripts' inner calls included), and
 * its CPU time (user + system) as `cpuMs`.
 */
function redisCommands(port: number): Record<string, number> {
  const args = ['-p', String(port), 'INFO', 'commandstats', 'cpu'];
  const info = execFileSync('redis-cli', args, { encoding: 'utf8' });
  const counts: Record<string, number> = {};
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) counts[m[1] ?? ''] = Number(m[2]);
  const cpu = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
  counts.cpuMs = (cpu('used_cpu_user') + cpu('used_cpu_sys')) * 1000;
  return counts;
}
