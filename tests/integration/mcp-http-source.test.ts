import type { McpHttpServerConfig } from '@parley/config';
import { createLogger } from '@parley/logger';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ExternalTool, ToolSourceEvent } from '../../server/src/mcp/external-tool.ts';
import { McpToolSource } from '../../server/src/mcp/mcp-tool-source.ts';
import { McpHttpTestServer } from '../support/mcp-http-server.ts';

const logger = createLogger({ name: 'test', level: 'silent', pretty: false });
const SECRET = 'test-secret-token-123';
const wait = { timeout: 10_000, interval: 20 };

let server: McpHttpTestServer;
let source: McpToolSource | undefined;

beforeEach(async () => {
  server = await new McpHttpTestServer().start();
});

afterEach(async () => {
  await source?.close();
  source = undefined;
  await server.kill();
});

function startSource(config: Partial<McpHttpServerConfig> = {}): McpToolSource {
  source = new McpToolSource({
    server: {
      name: 'calc',
      transport: 'http',
      url: server.url,
      headers: { Authorization: `Bearer ${SECRET}` },
      ...config,
    },
    logger,
    defaultTimeoutMs: 5_000,
    reconnect: { initialDelayMs: 50, maxDelayMs: 200 },
    healthCheckMs: 100,
  });
  return source;
}

function tool(name: string): ExternalTool {
  const found = source?.tools().find((t) => t.name === name);
  if (!found) throw new Error(`no tool ${name}; have ${source?.tools().map((t) => t.name)}`);
  return found;
}

const signal = () => new AbortController().signal;

describe('McpToolSource over streamable HTTP', () => {
  it('lists the tools namespaced, sends the configured headers, and calls one', async () => {
    await startSource().start();
    expect(source?.state()).toMatchObject({ status: 'ready', tools: 3, attempts: 0 });
    expect(source?.tools().map((t) => t.name)).toEqual(['calc__add', 'calc__slow', 'calc__fail']);
    expect(tool('calc__add')).toMatchObject({
      description: 'Adds two numbers',
      source: { kind: 'mcp', server: 'calc', tool: 'add' },
      inputSchema: { type: 'object', required: ['a', 'b'] },
    });
    const result = await tool('calc__add').call({ a: 2, b: 3 }, { signal: signal() });
    expect(result).toEqual({
      content: '[from MCP server "calc"]\n5',
      isError: false,
      outcome: 'ok',
      source: { kind: 'mcp', server: 'calc', tool: 'add' },
    });
    expect(server.calls('add')[0]?.headers.authorization).toBe(`Bearer ${SECRET}`);
  });

  it('picks up a tools/list_changed notification', async () => {
    const events: ToolSourceEvent[] = [];
    startSource().subscribe((e) => events.push(e));
    await source?.start();
    server.addTool('late');
    await vi.waitFor(() => expect(source?.tools().map((t) => t.name)).toContain('calc__echo_late'), wait);
    const result = await tool('calc__echo_late').call({ text: 'hello' }, { signal: signal() });
    expect(result.content).toBe('[from MCP server "calc"]\nhello');
    const lastTools = events.filter((e) => e.type === 'tools').at(-1);
    expect(lastTools?.type === 'tools' && lastTools.tools.map((t) => t.name)).toContain('calc__echo_late');
  });

  it('rejects invalid arguments before the call: the server sees nothing', async () => {
    await startSource().start();
    const result = await tool('calc__add').call({ a: '2' }, { signal: signal() });
    expect(result).toMatchObject({ isError: true, outcome: 'invalid' });
    expect(result.content).toContain('Invalid arguments for calc__add');
    expect(result.content).toContain("must have required property 'b'");
    expect(result.content).toContain('a: must be number');
    expect(server.calls('add')).toEqual([]);
  });

  it('stops a slow tool at the server timeout and tells the server to cancel', async () => {
    await startSource({ timeoutMs: 300 }).start();
    // The tool would take 20 s: a 'timeout' outcome naming 0.3 s is the server timeout cutting it short.
    const result = await tool('calc__slow').call({ ms: 20_000 }, { signal: signal() });
    expect(result).toMatchObject({ isError: true, outcome: 'timeout' });
    expect(result.content).toContain('calc__slow did not answer within 0.3 s');
    await vi.waitFor(() => expect(server.cancelled).toEqual([20_000]), wait);
  });

  it('ends a call when the caller aborts', async () => {
    await startSource().start();
    const controller = new AbortController();
    const pending = tool('calc__slow').call({ ms: 20_000 }, { signal: controller.signal });
    await vi.waitFor(() => expect(server.calls('slow')).toHaveLength(1), wait);
    controller.abort();
    expect(await pending).toMatchObject({ isError: true, outcome: 'cancelled' });
  });

  it('passes an isError result on as an error the model can read', async () => {
    await startSource().start();
    const result = await tool('calc__fail').call({}, { signal: signal() });
    expect(result).toMatchObject({ isError: true, outcome: 'error' });
    expect(result.content).toContain('the backend said no');
  });

  it('reports calls for metrics', async () => {
    const events: ToolSourceEvent[] = [];
    startSource().subscribe((e) => events.push(e));
    await source?.start();
    await tool('calc__add').call({ a: 1, b: 1 }, { signal: signal() });
    await tool('calc__add').call({}, { signal: signal() });
    const calls = events.filter((e) => e.type === 'call');
    expect(calls).toMatchObject([
      { source: 'calc', tool: 'add', outcome: 'ok' },
      { source: 'calc', tool: 'add', outcome: 'invalid' },
    ]);
    expect(calls.every((c) => c.type === 'call' && c.durationMs >= 0)).toBe(true);
  });

  it('goes down when the server dies, answers "unavailable", and comes back when it returns', async () => {
    await startSource().start();
    const add = tool('calc__add');
    await server.kill();
    await vi.waitFor(() => expect(source?.state().status).toBe('down'), wait);
    expect(source?.tools()).toEqual([]);
    expect(JSON.stringify(source?.state())).not.toContain(SECRET);
    const meanwhile = await add.call({ a: 1, b: 2 }, { signal: signal() });
    expect(meanwhile).toMatchObject({ isError: true, outcome: 'unavailable' });
    expect(meanwhile.content).toContain('is not connected right now');

    await server.start();
    await vi.waitFor(() => expect(source?.state()).toMatchObject({ status: 'ready', attempts: 0 }), wait);
    expect((await tool('calc__add').call({ a: 1, b: 2 }, { signal: signal() })).content).toContain('3');
  });

  it('answers a call in flight when the server dies mid-call, without waiting for the timeout', async () => {
    await startSource({ timeoutMs: 15_000 }).start();
    const pending = tool('calc__slow').call({ ms: 20_000 }, { signal: signal() });
    await vi.waitFor(() => expect(server.calls('slow')).toHaveLength(1), wait);
    await server.kill();
    // An 'error' outcome, not 'timeout': the call ended with the server, long before its 15 s timeout.
    const result = await pending;
    expect(result).toMatchObject({ isError: true, outcome: 'error' });
    expect(result.content).toContain('did not answer properly');
    await vi.waitFor(() => expect(source?.state().status).toBe('down'), wait);
  });

  it('keeps retrying a server that is not there at start, with its last error', async () => {
    await server.kill();
    await startSource().start();
    expect(source?.state()).toMatchObject({ status: 'down', tools: 0 });
    await vi.waitFor(() => expect(source?.state().attempts).toBeGreaterThanOrEqual(2), wait);
    expect(source?.state().lastError).toMatch(/fetch failed|ECONNREFUSED/);
    await server.start();
    await vi.waitFor(() => expect(source?.state().status).toBe('ready'), wait);
  });

  it('closes its session on close()', async () => {
    await startSource().start();
    await source?.close();
    expect(source?.state().status).toBe('closed');
    expect(source?.tools()).toEqual([]);
    expect(server.requests.map((r) => r.method)).toContain('initialize');
  });
});
