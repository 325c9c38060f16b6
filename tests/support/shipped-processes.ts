import { type ChildProcess, spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { stopProcess } from './cli-processes.ts';
import type { ShippedApp } from './shipped-artifacts.ts';

// A shipped app started as its image starts it: the runtime stage's CMD, from the deployed folder, with
// its ENV and what the test adds. Waits are on what the process writes, never on the clock.

export interface ShippedProcess {
  readonly child: ChildProcess;
  /** Everything it wrote so far (stdout and stderr), for failure messages. */
  output(): string;
  /**
   * Resolves with the first match of `pattern` in what it writes, checked as each chunk arrives; rejects
   * if it exits first or after `timeoutMs`.
   */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Rejects when the process exits: race a wait with it to fail at once on a crash. */
  readonly exited: Promise<never>;
  /** SIGTERM, then SIGKILL after 5 s; resolves once it has exited. */
  stop(): Promise<void>;
}

export function startShipped(app: ShippedApp, env: Record<string, string>): ShippedProcess {
  const [command = '', ...args] = app.cmd;
  const child = spawn(command === 'node' ? process.execPath : command, args, {
    cwd: app.dir,
    env: { PATH: process.env.PATH ?? '', HOME: tmpdir(), OTEL_SDK_DISABLED: 'true', ...app.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const onData = (chunk: Buffer) => (output += chunk.toString());
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code, signal) =>
      reject(new Error(`${app.cmd.join(' ')} exited (${signal ?? code}):\n${output}`)),
    ),
  );
  // Nobody may be racing it yet: an exit is reported through the waits that are.
  exited.catch(() => {});
  return {
    child,
    output: () => output,
    exited,
    waitForOutput(pattern, timeoutMs = 20_000) {
      const seen = new Promise<RegExpMatchArray>((resolve, reject) => {
        const check = () => {
          const match = output.match(pattern);
          if (!match) return;
          cleanup();
          resolve(match);
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`no ${pattern} within ${timeoutMs} ms from ${app.cmd.join(' ')}:\n${output}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          child.stdout?.off('data', check);
          child.stderr?.off('data', check);
        };
        child.stdout?.on('data', check);
        child.stderr?.on('data', check);
        check();
      });
      return Promise.race([seen, exited]);
    },
    stop: () => stopProcess(child),
  };
}
