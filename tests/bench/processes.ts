import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The repository root: servers run from there, as `pnpm start` does. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A process the benchmark started; `stop()` ends exactly this process. */
export interface BenchProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number;
  /** The last few KB of its stdout and stderr, for error messages. */
  output(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
}

export interface SpawnOptions {
  name: string;
  /** Node arguments after the executable, e.g. ['--import', 'tsx', 'server/src/main.ts']. */
  args: string[];
  /** Added to this process's environment; `undefined` removes a variable. */
  env?: Record<string, string | undefined>;
  /** Open an IPC channel (for the memory probe). */
  ipc?: boolean;
}

/** Starts `node <args>` from the repository root with the Node running the benchmark. */
export function spawnNode(options: SpawnOptions): BenchProcess {
  const env: Record<string, string | undefined> = { ...process.env, ...options.env };
  for (const [key, value] of Object.entries(env)) if (value === undefined) delete env[key];
  const child = spawn(process.execPath, options.args, {
    cwd: REPO_ROOT,
    env,
    stdio: options.ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
  });
  let tail = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-4096);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  if (child.pid === undefined) throw new Error(`${options.name}: could not start`);
  return {
    name: options.name,
    child,
    pid: child.pid,
    output: () => tail,
    async stop(graceMs = 15_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** Waits for a stdout line matching `pattern` (e.g. `OPENAI_BASE_URL=...`); returns its first group. */
export async function waitForLine(proc: BenchProcess, pattern: RegExp, timeoutMs = 30_000): Promise<string> {
  const stdout = proc.child.stdout;
  if (!stdout) throw new Error(`${proc.name}: no stdout`);
  let buffer = '';
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => fail(new Error(`${proc.name}: not ready within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      const match = pattern.exec(buffer);
      if (!match) return;
      cleanup();
      resolve(match[1] ?? match[0]);
    };
    const onExit = (code: number | null) => fail(new Error(`${proc.name} exited with ${code}`));
    const fail = (err: Error) => {
      cleanup();
      reject(new Error(`${err.message}\n${proc.output()}`));
    };
    const cleanup = () => {
      clearTimeout(timer);
      stdout.off('data', onData);
      proc.child.off('exit', onExit);
    };
    stdout.on('data', onData);
    proc.child.once('exit', onExit);
  });
}

/** Polls `url` until it answers 200. */
export async function waitForHealth(proc: BenchProcess, url: string, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (proc.child.exitCode !== null) throw new Error(`${proc.name} exited\n${proc.output()}`);
    const ok = await fetch(url).then(
      (res) => res.ok,
      () => false,
    );
    if (ok) return;
    if (Date.now() > until) throw new Error(`${proc.name}: ${url} not healthy\n${proc.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export interface MemorySample {
  rss: number;
  heapUsed: number;
}

/** Asks the memory probe preloaded into a server (see memory-probe.ts) for `process.memoryUsage()`. */
export function readMemory(proc: BenchProcess, timeoutMs = 2000): Promise<MemorySample | null> {
  const { child } = proc;
  if (!child.connected) return Promise.resolve(null);
  return new Promise((resolve) => {
    const timer = setTimeout(() => done(null), timeoutMs);
    const onMessage = (message: unknown) => {
      const m = message as { type?: string; rss?: number; heapUsed?: number };
      if (m.type === 'memory' && typeof m.rss === 'number' && typeof m.heapUsed === 'number')
        done({ rss: m.rss, heapUsed: m.heapUsed });
    };
    const done = (sample: MemorySample | null) => {
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve(sample);
    };
    child.on('message', onMessage);
    child.send('memory');
  });
}

let ticksPerSecond: number | undefined;

/** CPU time (user + system, ms) a process has used so far, from /proc; null where there is none. */
export function cpuTimeMs(pid: number): number | null {
  try {
    ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    // The command name (field 2) may contain spaces; the fields after its closing parenthesis do not.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
    return ((Number(fields[11]) + Number(fields[12])) / ticksPerSecond) * 1000;
  } catch {
    return null;
  }
}

/** The whole machine's CPU time so far (every core, every process), busy and in all, from /proc/stat. */
export function machineCpuTicks(): { busy: number; total: number } {
  try {
    // cpu  user nice system idle iowait irq softirq steal ...
    const fields =
      readFileSync('/proc/stat', 'utf8').split('\n')[0]?.trim().split(/\s+/).slice(1).map(Number) ?? [];
    const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
    return { busy: total - idle, total };
  } catch {
    return { busy: 0, total: 0 };
  }
}

/** CPU time of a process and every process below it (a primary and its workers), ms. */
export function treeCpuMs(pid: number): number {
  let total = cpuTimeMs(pid) ?? 0;
  for (const child of childPids(pid)) total += treeCpuMs(child);
  return total;
}

function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

export { freePort } from '../support/free-port.ts';
