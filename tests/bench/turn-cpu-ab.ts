import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { API_KEY, startConversations } from './fixtures.ts';
import { parleyTarget, settle, turnLoad } from './phases.ts';
import { parleyStreamBody, relayRun } from './relay-bench.ts';
import { type RunningServer, startModel, startParley } from './servers.ts';

// Server CPU per turn of two compiled builds, in alternating slices (A B B A …) of one run, so a shared
// machine's drift hits both alike: e.g. `cp -r server/dist server/dist-a`, change, `pnpm build`, then
// BENCH_A=server/dist-a/main.js (default server/dist/main.js for B). BENCH_MODE=unary (Twirp
// ContinueConversation at BENCH_CONNECTIONS, 64, on Redis as the unary bench runs) or sse (streams of
// BENCH_PIECES, 2, at BENCH_STREAMS, 60, on the embedded default as relay-profile.ts runs);
// BENCH_A_FLAGS / BENCH_B_FLAGS: more node flags for one of them; BENCH_A_IMAGE_FLAGS=0 (or B) starts
// it without the flags of the image's CMD, BENCH_A_PROBE=0 (or B) without the bench's memory probe. BENCH_SLICES (6) slices of BENCH_SLICE_SEC (5) s each. Prints CPU ms per turn for each slice and the
// medians. Run from tests/: node --conditions=@parley/source --import tsx bench/turn-cpu-ab.ts

const env = process.env;
const mode = env.BENCH_MODE === 'sse' ? 'sse' : 'unary';
const builds = { a: env.BENCH_A ?? 'server/dist-a/main.js', b: env.BENCH_B ?? 'server/dist/main.js' };
const slices = Number(env.BENCH_SLICES ?? 6);
const sliceSec = Number(env.BENCH_SLICE_SEC ?? 5);
const connections = Number(env.BENCH_CONNECTIONS ?? 64);
const streams = Number(env.BENCH_STREAMS ?? 60);
const pieces = Number(env.BENCH_PIECES ?? 2);
const redisUrl = env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const work = await mkdtemp(join(tmpdir(), 'parley-turn-cpu-'));
const model = await startModel();
const servers: RunningServer[] = [];
try {
  for (const [name, main] of Object.entries(builds)) {
    servers.push(
      await startParley({
        name,
        compiled: true,
        main,
        nodeArgs: (env[`BENCH_${name.toUpperCase()}_FLAGS`] ?? '').split(' ').filter(Boolean),
        imageFlags: env[`BENCH_${name.toUpperCase()}_IMAGE_FLAGS`] !== '0',
        probe: env[`BENCH_${name.toUpperCase()}_PROBE`] !== '0',
        modelUrl: model.url,
        dataDir: join(work, name),
        redisUrl,
        redisPrefix: `parley-turn-cpu-${process.pid}-${name}:`,
        noRedis: mode === 'sse',
      }),
    );
  }
  const slice = await slicers(servers);
  for (const s of slice) await s(2);
  const cpu: number[][] = servers.map(() => []);
  for (let i = 0; i < slices; i++) {
    for (const which of i % 2 === 0 ? [0, 1] : [1, 0]) {
      await settle(model.url);
      cpu[which]?.push(await (slice[which] as (sec: number) => Promise<number>)(sliceSec));
    }
  }
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] ?? Number.NaN;
  for (const [i, name] of Object.keys(builds).entries()) {
    const xs = cpu[i] ?? [];
    process.stdout.write(
      `${name} (${Object.values(builds)[i]}): ${xs.map((x) => x.toFixed(3)).join(' ')}; median ${median(xs).toFixed(3)} ms CPU a turn\n`,
    );
  }
  const [a, b] = cpu.map((xs) => median(xs));
  process.stdout.write(`B / A = ${((b ?? 0) / (a ?? 1)).toFixed(3)} (${mode})\n`);
} finally {
  for (const server of servers) await server.proc.stop();
  await model.proc.stop();
  await rm(work, { recursive: true, force: true });
}

/** For each server, a function running one slice and returning its CPU ms per turn. */
async function slicers(running: RunningServer[]): Promise<Array<(sec: number) => Promise<number>>> {
  if (mode === 'sse') {
    return running.map((server, i) => async (seconds: number) => {
      const row = await relayRun(
        {
          name: String(i),
          url: server.url,
          path: '/sse/parley.chat.v1.ChatService/StartConversation',
          headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
          body: parleyStreamBody,
          proc: server.proc,
        },
        streams,
        { pieces, intervalMs: 40, seconds },
      );
      return row.cpuMsPerStream;
    });
  }
  return Promise.all(
    running.map(async (server, i) => {
      const target = parleyTarget(server, await startConversations(server.url, connections, `ab${i}-`));
      return async (seconds: number) =>
        (await turnLoad(target, connections, seconds)).serverCpuMsPerRequest ?? Number.NaN;
    }),
  );
}
