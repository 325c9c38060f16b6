import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SSE_ROUTES } from '@parley/rpc';
import { startOpenAiStandIn } from '../support/openai-stand-in.ts';
import {
  linksToEachWorker,
  linkTo,
  listening,
  logLines,
  newLink,
  type SseEvent,
  startWorkerPool,
  streamOnLink,
} from '../support/worker-pool.ts';
import { cpuTimeMs } from './processes.ts';

// CPU of re-attaching across the workers of a pool without Redis, on the real server (WORKERS=2, the
// embedded default, sources through tsx): BENCH_ROUNDS (3) rounds of two slices of BENCH_TURNS (100)
// streamed turns with a request_id (30 pieces 40 ms apart), BENCH_CONCURRENT (10) at a time. Each turn
// starts on a new connection (whichever worker it lands on). `plain` reads it to its end there;
// `re-attached` reads 3 pieces, hangs up and repeats the request on a new connection to the other
// worker, which follows the turn through the primary to its end. Prints the CPU a turn of the primary
// and of both workers together, per way. Run from tests/:
// node --conditions=@parley/source --import tsx bench/reattach-pool-cpu.ts

const TURNS = Number(process.env.BENCH_TURNS ?? 100);
const CONCURRENT = Number(process.env.BENCH_CONCURRENT ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const KEY = 'bench-reattach-0123456789abcdef';

const model = await startOpenAiStandIn({ stream: { chunks: 30, intervalMs: 40 }, recordRequests: false });
const dataDir = await mkdtemp(join(tmpdir(), 'parley-reattach-cpu-'));
const pool = await startWorkerPool({ dataDir, openAiUrl: model.url, apiKey: KEY });
try {
  const links = await linksToEachWorker(pool.url, 1);
  const workers = links.map((l) => l.worker);
  const pids = [pool.child.pid ?? 0, ...workers.map(pidOf)];
  const totals = { plain: { primary: 0, workers: 0 }, 're-attached': { primary: 0, workers: 0 } };
  // Warm-up (JIT, tsx's first loads), not counted.
  await slice(workers);
  for (let round = 0; round < ROUNDS; round++) {
    for (const way of ['plain', 're-attached'] as const) {
      const before = pids.map((pid) => cpuTimeMs(pid) ?? 0);
      await slice(way === 're-attached' ? workers : undefined);
      const used = pids.map((pid, i) => (cpuTimeMs(pid) ?? 0) - (before[i] ?? 0));
      totals[way].primary += used[0] ?? 0;
      totals[way].workers += (used[1] ?? 0) + (used[2] ?? 0);
    }
  }
  const turns = TURNS * ROUNDS;
  for (const [way, { primary, workers }] of Object.entries(totals)) {
    console.log(
      `${way}: ${turns} turns, CPU a turn: primary ${(primary / turns).toFixed(3)} ms, ` +
        `both workers ${(workers / turns).toFixed(2)} ms`,
    );
  }
  for (const link of links) link.agent.destroy();
} finally {
  await pool.stop();
  await model.close();
  await rm(dataDir, { recursive: true, force: true });
}

function pidOf(worker: number): number {
  return listening(logLines(pool)).find((line) => line.worker === worker)?.pid ?? 0;
}

/** Runs TURNS turns; with `workers`, each is re-attached on the one not running it. */
async function slice(workers: number[] | undefined): Promise<void> {
  let next = 0;
  const route = `${pool.url}${SSE_ROUTES.StartConversation}`;
  const run = async () => {
    while (next++ < TURNS) {
      const user = `bench-${randomUUID()}`;
      const body = {
        message: 'count',
        session: { platform: 'cli', user_id: user },
        request_id: randomUUID(),
      };
      const link = await newLink(pool.url);
      const first = streamOnLink(route, link, KEY, body);
      const other = workers?.find((w) => w !== link.worker);
      if (other === undefined) {
        await first.until(isOver);
        link.agent.destroy();
        continue;
      }
      await first.until((events) => events.filter((e) => e.event === 'delta').length >= 3);
      first.leave();
      link.agent.destroy();
      const follower = await linkTo(pool.url, other);
      const again = streamOnLink(route, follower, KEY, body);
      await again.until(isOver);
      follower.agent.destroy();
      if (again.events.at(-1)?.event !== 'done') throw new Error(JSON.stringify(again.events.at(-1)));
    }
  };
  await Promise.all(Array.from({ length: CONCURRENT }, run));
}

function isOver(events: SseEvent[]): boolean {
  return events.some((e) => e.event === 'done' || e.event === 'error');
}
