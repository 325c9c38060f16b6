import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OpenAiStandIn, startOpenAiStandIn } from '../support/openai-stand-in.ts';
import { type ServerProcess, startServerProcess } from '../support/telegram-stack.ts';

// `parley usage` and `parley admin ...` as processes against the real server with two keys: `cli` (a
// user-role client with a daily token budget) and `ops` (an admin).

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(ROOT, 'cli', 'bin', 'parley.js');
const USER_KEY = 'cli-user-key-0123456789abcdef';
const ADMIN_KEY = 'ops-admin-key-0123456789abcdef';

let standIn: OpenAiStandIn;
let server: ServerProcess | undefined;
let dataDir: string;

function parley(args: string[], apiKey = USER_KEY) {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: dataDir,
      PARLEY_URL: server?.url,
      PARLEY_API_KEY: apiKey,
      PARLEY_USER: 'e2e-user',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'parley-e2e-cli-policy-'));
  standIn = await startOpenAiStandIn();
  server = await startServerProcess({
    API_KEYS: `cli=${USER_KEY},ops=${ADMIN_KEY}`,
    ADMIN_CLIENTS: 'ops',
    BUDGET_DAILY_TOKENS: '50000',
    DATA_DIR: dataDir,
    HOME: dataDir,
    OPENAI_BASE_URL: standIn.url,
    OPENAI_API_KEY: 'test',
    OPENAI_MODEL: 'gpt-4o-mini',
    GENERATE_TITLES: 'false',
    LOG_LEVEL: 'warn',
  });
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await standIn?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('parley usage and admin against the real server', () => {
  it('shows the user’s usage today against the daily budget', async () => {
    expect((await parley(['ask', 'hello'])).code).toBe(0);
    const result = await parley(['usage']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^PERIOD +DAYS +TURNS +TOKENS +LIMIT +LEFT +RESETS$/m);
    expect(result.stdout).toMatch(/^today +\d{4}-\d{2}-\d{2} +1 +[1-9][\d,]* +50,000 +[\d,]+ +\d{4}-/m);
    expect(result.stdout).toContain('models: gpt-4o-mini (default)');
  });

  it('refuses admin commands to the user key with a clear line and exit 1', async () => {
    const result = await parley(['admin', 'usage']);
    expect(result).toMatchObject({ code: 1, stdout: '' });
    expect(result.stderr).toBe(
      'parley: this API key may not use admin commands (its client needs the admin role: ADMIN_CLIENTS or role: admin in POLICY_FILE)\n',
    );
  });

  it('lets the admin key report usage by user, and block and unblock the user', async () => {
    const report = await parley(['admin', 'usage', '--by', 'user'], ADMIN_KEY);
    expect(report.code).toBe(0);
    expect(report.stdout).toMatch(/^cli +e2e-user +1 +[1-9]/m);
    expect((await parley(['admin', 'block', 'cli', 'e2e-user', '--reason', 'test'], ADMIN_KEY)).code).toBe(0);
    const refused = await parley(['ask', 'again']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/blocked/);
    expect(JSON.parse((await parley(['usage', '--json'])).stdout)).toMatchObject({ blocked: true });
    expect((await parley(['admin', 'unblock', 'cli', 'e2e-user'], ADMIN_KEY)).stdout).toBe(
      'unblocked e2e-user of cli\n',
    );
    expect((await parley(['ask', 'again'])).code).toBe(0);
  });
});
