import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { API_KEY } from './fixtures.ts';
import { monotonicUs, summarizeProfile } from './profile.ts';
import { parleyStreamBody, relayRun } from './relay-bench.ts';
import { startModel, startParley } from './servers.ts';

// Where a streamed piece's CPU goes: the compiled server under --cpu-prof while `BENCH_STREAMS` (300)
// streams run for `BENCH_DURATION` (8) s, then the hottest functions and places. Needs `pnpm build` first.
// Run: pnpm --filter @parley/tests exec node --conditions=@parley/source --import tsx bench/relay-profile.ts

const streams = Number(process.env.BENCH_STREAMS ?? 300);
const seconds = Number(process.env.BENCH_DURATION ?? 8);
const work = await mkdtemp(join(tmpdir(), 'parley-relay-profile-'));
const model = await startModel();
const server = await startParley({
  name: 'parley (profiled)',
  compiled: true,
  noRedis: true,
  modelUrl: model.url,
  dataDir: join(work, 'data'),
  redisUrl: '',
  redisPrefix: '',
  cpuProfDir: join(work, 'profile'),
});
try {
  const target = {
    name: 'parley',
    url: server.url,
    path: '/sse/parley.chat.v1.ChatService/StartConversation',
    headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
    body: parleyStreamBody,
    proc: server.proc,
  };
  const fromUs = monotonicUs();
  const row = await relayRun(target, streams, { pieces: 100, intervalMs: 40, seconds });
  const toUs = monotonicUs();
  await server.proc.stop();
  const summary = await summarizeProfile(join(work, 'profile'), { fromUs, toUs }, 45);
  process.stdout.write(`${JSON.stringify({ ...row, firstDelta: row.firstDelta.p99 }, null, 1)}\n`);
  process.stdout.write(`non-idle ${summary.totalMs.toFixed(0)} ms, idle ${summary.idleMs.toFixed(0)} ms\n`);
  for (const f of summary.functions)
    process.stdout.write(`${f.percent.toFixed(1).padStart(5)}%  ${f.name}\n`);
  process.stdout.write('\n');
  for (const p of summary.places) process.stdout.write(`${p.percent.toFixed(1).padStart(5)}%  ${p.name}\n`);
} finally {
  await server.proc.stop();
  await model.proc.stop();
  await rm(work, { recursive: true, force: true });
}
