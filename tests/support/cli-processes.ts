import { type ChildProcess, spawn } from 'node:child_process';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './free-port.ts';

// The real server and the real `parley` command as separate processes, for the CLI's end-to-end tests.

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(ROOT, 'cli', 'bin', 'parley.js');
export const SERVER_ENTRY = join(ROOT, 'server', 'src', 'main.ts');

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  /** What the server (and, with WORKERS > 1, its workers) wrote so far, stdout and stderr. */
  output(): string;
  stop(): Promise<void>;
}

/** Starts server/src/main.ts keyless (it writes its local key to `keyFile`) and waits for /health. */
export async function startServerProcess(options: {
  dataDir: string;
  keyFile: string;
  openAiUrl: string;
  /** More environment, e.g. MCP_SERVERS. */
  env?: Record<string, string>;
}): Promise<ServerProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--conditions=@parley/source', '--import', 'tsx', SERVER_ENTRY], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: options.dataDir,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: options.dataDir,
      PARLEY_LOCAL_KEY_FILE: options.keyFile,
      OPENAI_BASE_URL: options.openAiUrl,
      OPENAI_API_KEY: 'test',
      LOG_LEVEL: 'warn',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  await waitForHealth(url, child, () => output);
  return { url, child, output: () => output, stop: () => stopProcess(child) };
}

async function waitForHealth(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${output()}`);
    const ok = await fetch(`${url}/health`).then(
      (res) => res.status === 200,
      () => false,
    );
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`server not healthy within 20 s:\n${output()}`);
}

/** SIGTERM, then SIGKILL after 5 s; resolves once the process has exited. */
export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

export interface ParleyResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout as the pieces it arrived in. */
  stdoutChunks: string[];
}

export interface ParleyProcess {
  child: ChildProcess;
  /** What the process has written so far. */
  readonly stdout: string;
  readonly stderr: string;
  /** Resolves when the process has exited and its output is read. */
  result: Promise<ParleyResult>;
}

/**
 * Starts `node cli/bin/parley.js ...args` (or an installed `parley` command, `bin`) with stdin, stdout and
 * stderr as pipes. An installed command runs through its `#!/usr/bin/env node`: this process's Node
 * comes first on PATH.
 */
export function spawnParley(
  args: string[],
  env: Record<string, string | undefined>,
  bin?: string,
): ParleyProcess {
  const PATH = [dirname(process.execPath), process.env.PATH ?? ''].join(delimiter);
  const child = spawn(bin ?? process.execPath, bin ? args : [CLI, ...args], {
    cwd: ROOT,
    env: { PATH, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const chunks: string[] = [];
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const result = new Promise<ParleyResult>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout: chunks.join(''), stderr, stdoutChunks: chunks }));
  });
  return {
    child,
    get stdout() {
      return chunks.join('');
    },
    get stderr() {
      return stderr;
    },
    result,
  };
}
