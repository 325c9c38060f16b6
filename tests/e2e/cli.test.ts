import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type OpenAiStandIn, startOpenAiStandIn } from '../support/openai-stand-in.ts';

// The real server and the real `parley` binary as separate processes, with an OpenAI stand-in in-process.

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(ROOT, 'cli', 'bin', 'parley.js');
const SERVER = join(ROOT, 'server', 'src', 'main.ts');
// The published MCP reference server (pinned in tests/package.json), run by the server over stdio.
const EVERYTHING = createRequire(import.meta.url).resolve(
  '@modelcontextprotocol/server-everything/dist/index.js',
);

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

const children = new Set<ChildProcess>();
let standIn: OpenAiStandIn;
let dataDir: string;
let keyFile: string;
let server: ChildProcess | undefined;
let serverUrl: string;

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** Starts server/src/main.ts keyless (it writes its local key to `keyFile`) and waits for /health. */
async function startServer(): Promise<void> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--conditions=@parley/source', '--import', 'tsx', SERVER], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: dataDir,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      PARLEY_LOCAL_KEY_FILE: keyFile,
      OPENAI_BASE_URL: standIn.url,
      OPENAI_API_KEY: 'test',
      LOG_LEVEL: 'warn',
      MCP_SERVERS: JSON.stringify({ everything: { command: process.execPath, args: [EVERYTHING, 'stdio'] } }),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  server = child;
  serverUrl = `http://127.0.0.1:${port}`;
  await waitForHealth(child, () => output);
}

async function waitForHealth(child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${output()}`);
    const ok = await fetch(`${serverUrl}/health`).then(
      (res) => res.status === 200,
      () => false,
    );
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`server not healthy within 20 s:\n${output()}`);
}

async function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
  children.delete(child);
}

/** Runs `node cli/bin/parley.js ...args`, feeding `input` on stdin (then EOF). */
function parley(
  args: string[],
  options: { input?: string; env?: Record<string, string> } = {},
): Promise<Result> {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: dataDir,
      PARLEY_URL: serverUrl,
      PARLEY_LOCAL_KEY_FILE: keyFile,
      PARLEY_USER: 'e2e-user',
      ...options.env,
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin?.end(options.input ?? '');
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      children.delete(child);
      resolve({ code, stdout, stderr });
    });
  });
}

function userContents(index: number): string[] {
  const messages = standIn.requests[index]?.body.messages ?? [];
  return messages.filter((m) => m.role !== 'system').map((m) => `${m.role}:${String(m.content)}`);
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'parley-e2e-cli-'));
  keyFile = join(dataDir, 'key');
  standIn = await startOpenAiStandIn();
  await startServer();
}, 60_000);

afterAll(async () => {
  await Promise.all([...children].map(stop));
  await standIn?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('parley CLI against the real server', () => {
  let conversationId = '';

  it('asks in a new conversation and prints the reply and the conversation id', async () => {
    const result = await parley(['ask', 'hello']);
    expect(result).toMatchObject({ code: 0, stdout: 'Echo: hello\n' });
    conversationId = result.stderr.match(/^conversation: (\S+)$/m)?.[1] ?? '';
    expect(conversationId).not.toBe('');
  });

  it('continues the conversation with --conversation, sending the earlier messages to the model', async () => {
    standIn.reset();
    const result = await parley(['ask', '--conversation', conversationId, 'again']);
    expect(result).toMatchObject({ code: 0, stdout: 'Echo: again\n' });
    expect(result.stderr).toContain(`conversation: ${conversationId}`);
    expect(userContents(0)).toEqual(['user:hello', 'assistant:Echo: hello', 'user:again']);
  });

  it('lists the conversation as JSON', async () => {
    const result = await parley(['list', '--json']);
    expect(result.code).toBe(0);
    const listed = JSON.parse(result.stdout) as {
      conversations: Array<{ id: string; messageCount: number }>;
    };
    expect(listed.conversations.find((c) => c.id === conversationId)).toMatchObject({ messageCount: 4 });
  });

  it('shows the conversation with its four messages', async () => {
    const result = await parley(['show', conversationId]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('4 messages');
    expect(result.stdout.match(/^\[(you|assistant)\] /gm)).toHaveLength(4);
    expect(result.stdout).toMatch(/hello[\s\S]*Echo: hello[\s\S]*again[\s\S]*Echo: again/);
  });

  it('hides the conversation from another user', async () => {
    const result = await parley(['show', conversationId], { env: { PARLEY_USER: 'someone-else' } });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`parley: no conversation ${conversationId} (or it is not yours)\n`);
  });

  it('chats over a pipe: replies in order, then exits 0 at EOF', async () => {
    const result = await parley(['chat'], { input: 'hi\nhow are you\n' });
    expect(result).toMatchObject({ code: 0, stdout: 'Echo: hi\nEcho: how are you\n' });
    expect(result.stderr).toMatch(/^conversation \S+\n$/);
  });

  it('keeps the conversation across a server restart', async () => {
    await stop(server);
    await startServer();
    const result = await parley(['show', conversationId]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/hello[\s\S]*Echo: hello[\s\S]*again[\s\S]*Echo: again/);
  }, 60_000);

  it('deletes with --yes, after which show exits 1 with a not-found line', async () => {
    expect((await parley(['delete', conversationId, '--yes'])).code).toBe(0);
    const result = await parley(['show', conversationId]);
    expect(result).toMatchObject({ code: 1, stdout: '' });
    expect(result.stderr).toBe(`parley: no conversation ${conversationId} (or it is not yours)\n`);
  });

  it('lists the built-in tools and the MCP server’s with parley tools', async () => {
    // The MCP server connects in the background after the server is up.
    await vi.waitFor(async () => expect((await parley(['tools'])).stdout).toContain('everything__echo'), {
      timeout: 20_000,
      interval: 200,
    });
    const result = await parley(['tools']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^NAME +SOURCE +DESCRIPTION$/m);
    expect(result.stdout).toMatch(/^get_datetime +builtin +\S/m);
    expect(result.stdout).toMatch(/^everything__echo +mcp:everything +\S/m);
  });

  it('exits 1 with an unauthenticated line for a wrong API key', async () => {
    const result = await parley(['--api-key', 'wrong-key-0123456789', 'list']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^parley: .+ \(set PARLEY_API_KEY or --api-key\)\n$/);
  });

  it('exits 2 for an empty message without calling the server', async () => {
    const before = standIn.requests.length;
    const result = await parley(['ask', '']);
    expect(result).toMatchObject({ code: 2, stdout: '' });
    expect(result.stderr).toBe('parley: the message is empty\n');
    expect(standIn.requests).toHaveLength(before);
  });

  it('exits 1 with a hint when no server is running', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const result = await parley(['list'], { env: { PARLEY_URL: url } });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `parley: cannot reach the Parley server (is the server running at ${url}? start it with npm start)\n`,
    );
  });
});

describe('the server process', () => {
  it('refuses to start with invalid MCP servers, listing them with the other problems', async () => {
    const child = spawn(process.execPath, ['--conditions=@parley/source', '--import', 'tsx', SERVER], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        HOME: dataDir,
        PORT: 'not-a-port',
        MCP_SERVERS: JSON.stringify({
          'bad name': { url: 'ftp://example.com' },
          docs: { url: 'https://x.test', headers: { A: `\${NOPE}` } },
        }),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(2);
    expect(stderr).toContain('PORT');
    expect(stderr).toContain('MCP_SERVERS: server "bad name": names match');
    expect(stderr).toContain('must be an http(s) URL');
    expect(stderr).toContain(`MCP_SERVERS: server "docs": headers: A uses \${NOPE}, which is not set`);
  });
});
