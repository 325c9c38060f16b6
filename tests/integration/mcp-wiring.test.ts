import { createRequire } from 'node:module';
import { type ClientPolicy, type McpServerConfig, permissiveLocalPolicy } from '@parley/config';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { McpHttpTestServer } from '../support/mcp-http-server.ts';
import { type OpenAiStandIn, startOpenAiStandIn } from '../support/openai-stand-in.ts';
import { OTHER_KEY, type RunningParley, startParley } from '../support/parley.ts';

// The whole server with real MCP servers: the published server-everything over stdio, and an SDK
// McpServer over streamable HTTP that the tests kill and restart. The model is the OpenAI stand-in,
// driven through the real openai SDK; it records the tool definitions each turn offered.

const everything = createRequire(import.meta.url).resolve(
  '@modelcontextprotocol/server-everything/dist/index.js',
);
const wait = { timeout: 20_000, interval: 50 };
const session = { platform: 'cli', userId: 'mcp-user', chatId: '' };
const fastReconnect = { reconnect: { initialDelayMs: 100, maxDelayMs: 400 }, healthCheckMs: 200 };

interface Ready {
  status: string;
  components: Record<string, { ok: boolean; detail?: string; optional?: boolean }>;
}

async function ready(parley: RunningParley): Promise<Ready> {
  return (await (await fetch(`${parley.url}/ready`)).json()) as Ready;
}

function offered(model: OpenAiStandIn, index: number): string[] {
  const tools = (model.requests[index]?.body.tools ?? []) as Array<{ function: { name: string } }>;
  return tools.map((t) => t.function.name);
}

async function toolNames(parley: RunningParley, apiKey?: string): Promise<string[]> {
  const { tools } = await parley.client(apiKey ? { apiKey } : {}).listTools({});
  return tools.map((t) => t.name);
}

let model: OpenAiStandIn;
beforeAll(async () => {
  model = await startOpenAiStandIn();
});
afterAll(() => model.close());
afterEach(() => model.reset());

const modelEnv = () => ({ OPENAI_BASE_URL: model.url, OPENAI_API_KEY: 'test' });

describe('MCP tools over stdio (server-everything)', () => {
  let parley: RunningParley;
  const server: McpServerConfig = {
    name: 'everything',
    transport: 'stdio',
    command: process.execPath,
    args: [everything, 'stdio'],
    env: {},
  };

  beforeAll(async () => {
    parley = await startParley({ env: modelEnv(), overrides: { mcpServers: [server] } });
    await vi.waitFor(
      async () => expect((await ready(parley)).components['mcp:everything']?.ok).toBe(true),
      wait,
    );
  });
  afterAll(() => parley.cleanup());

  it('lists its tools with their source beside the built-in ones', async () => {
    const { tools } = await parley.client().listTools({});
    expect(tools.find((t) => t.name === 'get_datetime')).toMatchObject({ source: 'builtin' });
    expect(tools.find((t) => t.name === 'everything__echo')).toEqual({
      name: 'everything__echo',
      description: expect.stringMatching(/echo/i),
      source: 'mcp:everything',
    });
    const state = (await ready(parley)).components['mcp:everything'];
    expect(state).toEqual({ ok: true, optional: true, detail: expect.stringMatching(/^ready, \d+ tools$/) });
  });

  it('runs one in a turn: the model gets its result, the reply stores it, DescribeConversation shows it', async () => {
    model.script(
      { toolCalls: [{ name: 'everything__echo', arguments: { message: 'hi from parley' } }] },
      { reply: 'The server echoed your words.' },
    );
    const client = parley.client();
    const started = await client.startConversation({ message: 'echo something', session });
    expect(started.reply?.content).toBe('The server echoed your words.');
    const definitions = (model.requests[0]?.body.tools ?? []) as Array<{ function: Record<string, unknown> }>;
    const definition = definitions.find((t) => t.function.name === 'everything__echo');
    expect(definition?.function).toMatchObject({ strict: false, parameters: { type: 'object' } });
    const expected = '[from MCP server "everything"]\nEcho: hi from parley';
    const toolMessage = model.requests[1]?.body.messages?.find((m) => m.role === 'tool');
    expect(toolMessage?.content).toBe(expected);

    const described = await client.describeConversation({
      conversationId: started.conversation?.id ?? '',
      session,
    });
    const reply = described.messages.at(-1);
    expect(reply?.toolCalls).toEqual([
      expect.objectContaining({ name: 'everything__echo', result: expected, isError: false }),
    ]);
  });
});

describe('MCP tools over streamable HTTP', () => {
  let mcp: McpHttpTestServer;
  let parley: RunningParley;

  beforeAll(async () => {
    mcp = await new McpHttpTestServer().start();
    const server: McpServerConfig = { name: 'calc', transport: 'http', url: mcp.url, headers: {} };
    parley = await startParley({
      env: modelEnv(),
      overrides: { mcpServers: [server], mcpOptions: fastReconnect },
    });
    await vi.waitFor(async () => expect(await toolNames(parley)).toContain('calc__add'), wait);
  });
  afterAll(async () => {
    await parley.cleanup();
    await mcp.kill();
  });

  it('answers the turn when the server dies mid-call, shows it down, and takes it back when it returns', async () => {
    model.script(
      { toolCalls: [{ name: 'calc__slow', arguments: { ms: 10_000 } }] },
      { reply: 'The calculator is not answering right now.' },
    );
    const turn = parley.client().startConversation({ message: 'take your time', session });
    await vi.waitFor(() => expect(mcp.calls('slow')).toHaveLength(1), wait);
    await mcp.kill();

    const answered = await turn;
    expect(answered.reply?.content).toBe('The calculator is not answering right now.');
    expect(answered.reply?.toolCalls[0]).toMatchObject({ name: 'calc__slow', isError: true });
    expect(answered.reply?.toolCalls[0]?.result).toMatch(/^\[from MCP server "calc"\]/);

    await vi.waitFor(async () => expect((await ready(parley)).components['mcp:calc']?.ok).toBe(false), wait);
    const down = await ready(parley);
    expect(down.status).toBe('ready');
    expect(down.components['mcp:calc']).toMatchObject({
      optional: true,
      detail: expect.stringMatching(/^(down|connecting)/),
    });
    expect(await toolNames(parley)).not.toContain('calc__add');

    await mcp.start();
    await vi.waitFor(async () => expect((await ready(parley)).components['mcp:calc']?.ok).toBe(true), wait);
    expect(await toolNames(parley)).toContain('calc__add');
    const metrics = await (await fetch(`${parley.url}/metrics`)).text();
    expect(metrics).toMatch(/parley_mcp_tool_calls_total\{server="calc",tool="slow",outcome="error"\} 1/);
    expect(metrics).toMatch(/parley_mcp_server_up\{server="calc"\} 1/);
  });
});

describe('MCP tools and client access', () => {
  let mcp: McpHttpTestServer;
  let parley: RunningParley;

  beforeAll(async () => {
    mcp = await new McpHttpTestServer().start();
    // `internal` allows only the `test` client; the `other` client's policy allows only `mcp:shared`.
    const servers: McpServerConfig[] = [
      { name: 'internal', transport: 'http', url: mcp.url, headers: {}, clients: ['test'] },
      { name: 'shared', transport: 'http', url: mcp.url, headers: {} },
    ];
    const other: ClientPolicy = { ...permissiveLocalPolicy('other'), role: 'user', tools: ['mcp:shared'] };
    const policies = { test: permissiveLocalPolicy('test'), other };
    parley = await startParley({ env: modelEnv(), overrides: { mcpServers: servers, policies } });
    await vi.waitFor(async () => {
      expect(await toolNames(parley)).toEqual(expect.arrayContaining(['internal__add', 'shared__add']));
    }, wait);
  });
  afterAll(async () => {
    await parley.cleanup();
    await mcp.kill();
  });

  it('lists for each client only the sources it may use', async () => {
    expect(await toolNames(parley)).toEqual(
      expect.arrayContaining(['get_datetime', 'internal__add', 'shared__add']),
    );
    expect(await toolNames(parley, OTHER_KEY)).toEqual(['shared__add', 'shared__slow', 'shared__fail']);
  });

  it('never offers the model, nor runs, a tool the client may not use', async () => {
    model.script(
      { toolCalls: [{ name: 'internal__add', arguments: { a: 1, b: 2 } }] },
      { reply: 'I cannot use that tool.' },
    );
    const reply = await parley.client({ apiKey: OTHER_KEY }).startConversation({ message: 'add', session });
    expect(offered(model, 0)).toEqual(['shared__add', 'shared__slow', 'shared__fail']);
    expect(reply.reply?.toolCalls[0]).toMatchObject({ name: 'internal__add', isError: true });
    expect(reply.reply?.toolCalls[0]?.result).toMatch(/^There is no tool named "internal__add"/);
    expect(mcp.calls('add')).toEqual([]);
  });
});
