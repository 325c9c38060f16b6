import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { restartDelayMs } from './worker-pool.ts';

// The pool of real server processes is tested in tests/integration/workers.test.ts.
describe('restartDelayMs', () => {
  it('doubles the pause for each crash in a row, up to the cap', () => {
    const delays = [0, 1, 2, 3, 4, 5, 6, 7, 100].map((n) => restartDelayMs(n, 500, 30_000));
    expect(delays).toEqual([500, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000]);
  });
});

describe('runWorkerPool', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'parley-pool-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('stops and exits 1 when its workers keep dying before they listen (a port in use, say)', async () => {
    const worker = join(dir, 'failing-worker.mjs');
    await writeFile(worker, "process.stderr.write('cannot listen\\n'); process.exit(3);\n");
    const primary = join(dir, 'primary.mjs');
    await writeFile(
      primary,
      `import { createLogger } from ${JSON.stringify(join(import.meta.dirname, '../../packages/logger/src/index.ts'))};
import { runWorkerPool } from ${JSON.stringify(join(import.meta.dirname, 'worker-pool.ts'))};
const logger = createLogger({ name: 'pool', pretty: false });
const exec = ${JSON.stringify(worker)};
process.exitCode = await runWorkerPool({ workers: 2, logger, shutdownTimeoutMs: 1000, exec, restart: { initialMs: 10 } });
`,
    );
    const child = spawn(process.execPath, ['--no-warnings', primary], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect({ code, output }).toMatchObject({
      code: 1,
      output: expect.stringContaining('keep dying before they listen'),
    });
    // Four in a row (a fifth may have been started just before the fourth died).
    expect(output.match(/cannot listen/g)?.length).toBeGreaterThanOrEqual(4);
  });
});
