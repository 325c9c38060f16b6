import { createRequire } from 'node:module';
import { createLogger } from '@parley/logger';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { McpToolSource } from '../../server/src/mcp/mcp-tool-source.ts';

const logger = createLogger({ name: 'test', level: 'silent', pretty: false });
// The published server, pinned in tests/package.json, run with this Node over stdio (no npx, no network).
const everything = createRequire(import.meta.url).resolve(
  '@modelcontextprotocol/server-everything/dist/index.js',
);
const wait = { timeout: 20_000, interval: 50 };

let source: McpToolSource | undefined;

afterEach(async () => {
  await source?.close();
  source = undefined;
});

function startSource(): McpToolSource {
  source = new McpToolSource({
    server: {
      name: 'everything',
      transport: 'stdio',
      command: process.execPath,
      args: [everything, 'stdio'],
      env: { PARLEY_MCP_TEST: 'passed-through' },
    },
    logger,
    defaultTimeoutMs: 10_000,
    reconnect: { initialDelayMs: 100, maxDelayMs: 500 },
  });
  return source;
}

function tool(name: string) {
  const found = source?.tools().find((t) => t.name === name);
  if (!found) throw new Error(`no tool ${name}`);
  return found;
}

const signal = () => new AbortController().signal;

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('McpToolSource over stdio with @modelcontextprotocol/server-everything', () => {
  it('spawns the server, lists its tools namespaced, validates arguments and calls them', async () => {
    await startSource().start();
    expect(source?.state().status).toBe('ready');
    const names = source?.tools().map((t) => t.name);
    expect(names).toEqual(
      expect.arrayContaining(['everything__echo', 'everything__get-sum', 'everything__get-env']),
    );
    expect(tool('everything__echo').source).toEqual({ kind: 'mcp', server: 'everything', tool: 'echo' });

    const echo = await tool('everything__echo').call({ message: 'hi from parley' }, { signal: signal() });
    expect(echo).toMatchObject({ isError: false, outcome: 'ok' });
    expect(echo.content).toBe('[from MCP server "everything"]\nEcho: hi from parley');
    const sum = await tool('everything__get-sum').call({ a: 2, b: 40 }, { signal: signal() });
    expect(sum.content).toContain('42');
    const env = await tool('everything__get-env').call({}, { signal: signal() });
    expect(env.content).toContain('passed-through');
    const invalid = await tool('everything__echo').call({ message: 7 }, { signal: signal() });
    expect(invalid).toMatchObject({ isError: true, outcome: 'invalid' });
    expect(invalid.content).toContain('message: must be string');
  });

  it('restarts a child that dies, and kills it on close', async () => {
    await startSource().start();
    const first = source?.processId;
    expect(first).toBeTypeOf('number');
    process.kill(first as number, 'SIGKILL');
    await vi.waitFor(() => expect(source?.state().status).not.toBe('ready'), wait);
    await vi.waitFor(() => expect(source?.state().status).toBe('ready'), wait);
    const second = source?.processId;
    expect(second).toBeTypeOf('number');
    expect(second).not.toBe(first);
    expect(
      (await tool('everything__echo').call({ message: 'again' }, { signal: signal() })).content,
    ).toContain('Echo: again');

    await source?.close();
    await vi.waitFor(() => expect(isRunning(second as number)).toBe(false), wait);
  });

  it('reports a command that cannot start as down, and keeps trying', async () => {
    source = new McpToolSource({
      server: { name: 'missing', transport: 'stdio', command: '/nonexistent/mcp-server', args: [], env: {} },
      logger,
      defaultTimeoutMs: 1_000,
      reconnect: { initialDelayMs: 50, maxDelayMs: 100 },
    });
    await source.start();
    expect(source.state()).toMatchObject({ status: 'down', tools: 0 });
    expect(source.state().lastError).toContain('ENOENT');
    await vi.waitFor(() => expect(source?.state().attempts).toBeGreaterThanOrEqual(3), wait);
  });
});
