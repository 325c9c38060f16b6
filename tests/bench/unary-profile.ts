import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startConversations } from './fixtures.ts';
import { parleyTarget, profiledTurnLoad } from './phases.ts';
import { printProfile, summarizeProfile } from './profile.ts';
import { startModel, startParley } from './servers.ts';

// Where a unary turn's CPU goes: the compiled server under --cpu-prof while BENCH_CONNECTIONS (64)
// connections each continue their own conversation (Twirp JSON ContinueConversation, on Redis as the
// unary bench runs) for BENCH_DURATION (8) s after a 3 s warm-up; prints CPU ms a turn and the hottest
// functions and places of the measured window. BENCH_PROFILE_OUT=dir keeps the .cpuprofile.
// Run from tests/: node --conditions=@parley/source --import tsx bench/unary-profile.ts

const env = process.env;
const connections = Number(env.BENCH_CONNECTIONS ?? 64);
const seconds = Number(env.BENCH_DURATION ?? 8);
const work = await mkdtemp(join(tmpdir(), 'parley-unary-profile-'));
const profileDir = env.BENCH_PROFILE_OUT ?? join(work, 'profile');
const model = await startModel();
try {
  const server = await startParley({
    name: 'parley (profiled)',
    compiled: true,
    probe: false,
    modelUrl: model.url,
    dataDir: join(work, 'data'),
    redisUrl: env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379',
    redisPrefix: `parley-unary-profile-${process.pid}:`,
    cpuProfDir: profileDir,
  });
  let window = { fromUs: 0, toUs: 0 };
  try {
    const target = parleyTarget(server, await startConversations(server.url, connections, 'prof-'));
    const measured = await profiledTurnLoad(target, model.url, {
      warm: connections,
      warmSec: 3,
      connections,
      seconds,
    });
    window = measured.window;
    const row = measured.load;
    process.stdout.write(
      `${connections} connections: ${row.reqPerSec.toFixed(0)} turns/s, ${row.serverCpuMsPerRequest?.toFixed(3)} ms CPU a turn\n`,
    );
  } finally {
    await server.proc.stop();
  }
  printProfile(await summarizeProfile(profileDir, window, Number(env.BENCH_TOP ?? 40)));
} finally {
  await model.proc.stop();
  if (!env.BENCH_PROFILE_OUT) await rm(work, { recursive: true, force: true });
}
