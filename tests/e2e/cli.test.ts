import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  type ParleyResult,
  ROOT,
  SERVER_ENTRY,
  type ServerProcess,
  spawnParley,
  startServerProcess,
} from '../support/cli-processes.ts';
import { freePort } from '../support/free-port.ts';
import { type OpenAiStandIn, startOpenAiStandIn } from '../support/openai-stand-in.ts';

// The real server and the real `parley` command as separate processes, with an OpenAI stand-in in-process.

// The published MCP reference server (pinned in tests/package.json), run by the server over stdio.
const EVERYTHING = createRequire(import.meta.url).resolve(
  '@modelcontextprotocol/server-everything/dist/index.js',
);

let standIn: OpenAiStandIn;
let dataDir: string;
let keyFile: string;
let server: ServerProcess | undefined;
let serverUrl: string;

async function startServer(): Promise<void> {
  const mcp = { everything: { command: process.execPath, args: [EVERYTHING, 'stdio'] } };
  server = await startServerProcess({
    dataDir,
    keyFile,
    openAiUrl: standIn.url,
    env: { MCP_SERVERS: JSON.stringify(mcp) },
  });
  serverUrl = server.url;
}

/** The environment `parley` runs with: this test's server, its local key, a fixed user. */
function cliEnv(env: Record<string, string> = {}): Record<string, string> {
  return {
    HOME: dataDir,
    PARLEY_URL: serverUrl,
    PARLEY_LOCAL_KEY_FILE: keyFile,
    PARLEY_USER: 'e2e-user',
    ...env,
  };
}

/** Runs `parley ...args`, feeding `input` on stdin (then EOF). */
function parley(
  args: string[],
  options: { input?: string; env?: Record<string, string> } = {},
): Promise<ParleyResult> {
  const child = spawnParley(args, cliEnv(options.env));
  child.child.stdin?.end(options.input ?? '');
  return child.result;
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
  await server?.stop();
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
    await server?.stop();
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
    const child = spawn(process.execPath, ['--conditions=@parley/source', '--import', 'tsx', SERVER_ENTRY], {
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

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  expect(condition()).toBe(true);
}

describe('parley streaming from the real server', () => {
  const reply = 'The time in Paris is **noon**, and the sun is out over the river.';

  it('writes the reply to a pipe piece by piece as the model writes it, tool progress to stderr', async () => {
    standIn.reset();
    standIn.script(
      { toolCalls: [{ name: 'get_datetime', arguments: { timezone: 'Europe/Paris' } }] },
      { reply, stream: { chunks: 6, intervalMs: 80 } },
    );
    const result = await parley(['ask', 'time in Paris?']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`${reply}\n`);
    expect(result.stdoutChunks.length).toBeGreaterThan(2);
    expect(result.stdoutChunks[0]?.length).toBeLessThan(reply.length);
    expect(result.stderr).toMatch(/^↳ get_datetime Europe\/Paris\nconversation: \S+\n$/);
  });

  it('prints one TurnEvent per line with --json, the deltas adding up to the stored reply', async () => {
    standIn.reset();
    standIn.script({ reply, stream: { chunks: 4, intervalMs: 20 } });
    const result = await parley(['ask', '--json', 'time?']);
    expect(result.code).toBe(0);
    const events = result.stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, { text?: string; reply?: { content: string } }>);
    expect(Object.keys(events[0] ?? {})).toEqual(['started']);
    expect(Object.keys(events.at(-1) ?? {})).toEqual(['done']);
    const text = events.map((event) => event.delta?.text ?? '').join('');
    expect(text).toBe(reply);
    expect(events.at(-1)?.done?.reply?.content).toBe(reply);
  });

  it('cancels a reply on Ctrl-C: the model call is aborted and show marks the stored reply interrupted', async () => {
    standIn.reset();
    // Ten words, then the answer stalls: only the cancel can end the model call.
    standIn.script({ reply: 'word '.repeat(60).trim(), stream: { chunks: 60 }, stallAfterChunks: 11 });
    const chat = spawnParley(['chat'], cliEnv());
    chat.child.stdin?.write('tell me a long story\n');
    await waitFor(() => chat.stdout.includes('word word'));
    chat.child.kill('SIGINT');
    const result = await chat.result;
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^(word ?)+\n$/);
    expect(result.stderr).toMatch(/^conversation \S+\n\(interrupted\)\n$/);
    await standIn.nextAbort();
    const id = result.stderr.match(/^conversation (\S+)$/m)?.[1] ?? '';
    let shown = await parley(['show', id]);
    for (let i = 0; i < 50 && !shown.stdout.includes('(interrupted)'); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      shown = await parley(['show', id]);
    }
    expect(shown.stdout).toMatch(/\[assistant\] [^\n]* \(interrupted\)\nword( word)*/);
  }, 30_000);
});
