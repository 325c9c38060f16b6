import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, REPO_ROOT, spawnNode } from './processes.ts';
import { imageNodeFlags } from './servers.ts';

// The startup section of `pnpm bench` (also `pnpm bench:startup` alone): how production starts. Builds
// first (`pnpm build`), then times the compiled server from spawn to its first 200 on /ready, reads
// its idle RSS next to the same server under tsx, and times `parley --help` from the bundled CLI.
// Medians of several runs; nothing asserted (the machine is shared).

const SERVER_RUNS = 5;
const CLI_RUNS = 15;
const IDLE_MS = 2_000;
/**
 * V8's memory reducer returns start-up garbage (and shrinks the young generation) some 10-20 s after the
 * last allocations: one compiled run also reads RSS this long after ready, what an idle server settles to.
 */
const SETTLED_MS = 25_000;
const MiB = 2 ** 20;

export interface StartupReport {
  /** `first`: the first start, with an empty V8 compile cache (as in a fresh container). */
  serverColdStartMs: { median: number; min: number; first: number };
  /** CPU time (user + system) the server spent from spawn to ready: steadier than wall time under load. */
  serverCpuToReadyMs: number;
  idleRssMiB: { compiled: number; tsx: number; compiledSettled: number };
  cliHelpMs: { median: number; min: number; nodeAloneMedian: number };
}

const log = (text: string) => process.stderr.write(`bench: ${text}\n`);

export async function measureStartup(): Promise<StartupReport> {
  log('startup: pnpm build');
  execFileSync('pnpm', ['build'], { cwd: REPO_ROOT, stdio: 'ignore' });
  const work = await mkdtemp(join(tmpdir(), 'parley-startup-'));
  try {
    const compiled: ServerRun[] = [];
    const tsx: ServerRun[] = [];
    for (let i = 0; i < SERVER_RUNS; i += 1) {
      log(`startup: server run ${i + 1}/${SERVER_RUNS} (compiled, then tsx)`);
      // A compile cache of this run's own: the first start fills it, like a fresh container's.
      compiled.push(
        await serverRun(
          [...imageNodeFlags(), 'server/dist/main.js'],
          join(work, `c${i}`),
          { NODE_COMPILE_CACHE: join(work, 'cc') },
          i === SERVER_RUNS - 1,
        ),
      );
      tsx.push(
        await serverRun(
          ['--conditions=@parley/source', '--import', 'tsx', 'server/src/main.ts'],
          join(work, `t${i}`),
        ),
      );
    }
    log(`startup: parley --help x${CLI_RUNS}`);
    const help = timeRuns(CLI_RUNS, ['cli/dist/parley.js', '--help']);
    const bare = timeRuns(CLI_RUNS, ['-e', '0']);
    return {
      serverColdStartMs: {
        median: median(compiled.map((r) => r.readyMs)),
        min: Math.min(...compiled.map((r) => r.readyMs)),
        first: compiled[0]?.readyMs ?? Number.NaN,
      },
      serverCpuToReadyMs: median(compiled.map((r) => r.cpuMs)),
      idleRssMiB: {
        compiled: median(compiled.map((r) => r.idleRss)) / MiB,
        tsx: median(tsx.map((r) => r.idleRss)) / MiB,
        compiledSettled: (compiled.at(-1)?.settledRss ?? Number.NaN) / MiB,
      },
      cliHelpMs: { median: median(help), min: Math.min(...help), nodeAloneMedian: median(bare) },
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

interface ServerRun {
  readyMs: number;
  cpuMs: number;
  idleRss: number;
  settledRss?: number;
}

/** One server start with production defaults (embedded store, in-process sessions, no Redis). */
async function serverRun(
  args: string[],
  dataDir: string,
  extraEnv: Record<string, string> = {},
  settle = false,
): Promise<ServerRun> {
  const port = await freePort();
  const started = performance.now();
  const proc = spawnNode({
    name: 'startup',
    args,
    env: {
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      API_KEYS: 'bench=startup-bench-key-0123',
      OPENAI_API_KEY: 'bench',
      OPENAI_BASE_URL: 'http://127.0.0.1:9/v1',
      REDIS_URL: undefined,
      MONGODB_URL: undefined,
      LOG_LEVEL: 'warn',
      NODE_ENV: 'production',
      ...extraEnv,
    },
  });
  try {
    for (;;) {
      const ok = await fetch(`http://127.0.0.1:${port}/ready`).then(
        (res) => res.ok,
        () => false,
      );
      if (ok) break;
      if (proc.child.exitCode !== null) throw new Error(`server exited:\n${proc.output()}`);
      if (performance.now() - started > 20_000)
        throw new Error(`server not ready in 20 s:\n${proc.output()}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const readyMs = performance.now() - started;
    const cpuMs = cpuOf(proc.pid);
    await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
    const idleRss = rssOf(proc.pid);
    if (!settle) return { readyMs, cpuMs, idleRss };
    await new Promise((resolve) => setTimeout(resolve, SETTLED_MS - IDLE_MS));
    return { readyMs, cpuMs, idleRss, settledRss: rssOf(proc.pid) };
  } finally {
    await proc.stop();
  }
}

function rssOf(pid: number): number {
  const kib = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kib) * 1024;
}

/** utime + stime from /proc/<pid>/stat, in clock ticks of 10 ms (Linux's USER_HZ). */
function cpuOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Wall-clock milliseconds of `node <args>` run to completion, `runs` times. */
function timeRuns(runs: number, args: string[]): number[] {
  return Array.from({ length: runs }, () => {
    const started = performance.now();
    execFileSync(process.execPath, args, { cwd: REPO_ROOT, stdio: 'ignore' });
    return performance.now() - started;
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? Number.NaN;
}

export function startupMarkdown(r: StartupReport): string {
  const ms = (n: number) => `${Math.round(n)} ms`;
  const met = (ok: boolean) => (ok ? 'yes' : 'no');
  return [
    '## Startup (compiled, as production runs)',
    '',
    '| Measure | Measured | Target | Met |',
    '| --- | --- | --- | --- |',
    `| server cold start to /ready (\`node ${imageNodeFlags().join(' ')} server/dist/main.js\`, as the image), median of ${SERVER_RUNS} | ${ms(r.serverColdStartMs.median)} (min ${ms(r.serverColdStartMs.min)}; first, empty compile cache ${ms(r.serverColdStartMs.first)}) | ≤ 400 ms | ${met(r.serverColdStartMs.median <= 400)} |`,
    `| CPU time of the server from spawn to /ready, median | ${ms(r.serverCpuToReadyMs)} | - | - |`,
    `| idle RSS, compiled server (${IDLE_MS / 1000} s after ready) | ${r.idleRssMiB.compiled.toFixed(1)} MiB | ≤ 70 MiB | ${met(r.idleRssMiB.compiled <= 70)} |`,
    `| idle RSS, compiled server, settled (${SETTLED_MS / 1000} s after ready, one run) | ${r.idleRssMiB.compiledSettled.toFixed(1)} MiB | ≤ 70 MiB | ${met(r.idleRssMiB.compiledSettled <= 70)} |`,
    `| idle RSS, same server under tsx | ${r.idleRssMiB.tsx.toFixed(1)} MiB | - | - |`,
    `| \`parley --help\` (bundled CLI), median of ${CLI_RUNS} | ${ms(r.cliHelpMs.median)} (min ${ms(r.cliHelpMs.min)}; \`node -e 0\` alone ${ms(r.cliHelpMs.nodeAloneMedian)}) | < 150 ms | ${met(r.cliHelpMs.median < 150)} |`,
    '',
  ].join('\n');
}

// `pnpm bench:startup`: this section alone, written where `pnpm bench` writes it.
if (import.meta.url === `file://${process.argv[1]}`) {
  const markdown = startupMarkdown(await measureStartup());
  await writeFile(join(REPO_ROOT, 'tests', 'bench', 'results', 'startup.md'), markdown);
  process.stdout.write(markdown);
}
