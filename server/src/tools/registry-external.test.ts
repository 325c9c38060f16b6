import { describe, expect, it } from 'vitest';
import type { ExternalTool, ExternalToolResult } from '../mcp/external-tool.ts';
import { fakeToolServices } from './fake-tool-services.ts';
import { builtinTools } from './index.ts';
import { type ExternalToolSet, type ToolAccess, ToolRegistry } from './registry.ts';

/** An external tool answering from a function, recording the arguments of every call. */
function externalTool(
  server: string,
  tool: string,
  answer: (args: unknown, signal: AbortSignal) => Promise<Omit<ExternalToolResult, 'source'>> = async (
    args,
  ) => ({ content: `[from MCP server "${server}"]\n${JSON.stringify(args)}`, isError: false, outcome: 'ok' }),
): ExternalTool & { calls: unknown[] } {
  const source = { kind: 'mcp' as const, server, tool };
  const calls: unknown[] = [];
  return {
    name: `${server}__${tool}`,
    description: `${tool} from ${server}`,
    inputSchema: { type: 'object', properties: { text: { type: 'string' } } },
    source,
    calls,
    async call(args, { signal }) {
      calls.push(args);
      return { ...(await answer(args, signal)), source };
    },
  };
}

/** A set of external tools the test changes at will, like servers connecting and going down. */
class FakeToolSet implements ExternalToolSet {
  current: ExternalTool[] = [];
  constructor(readonly servers: readonly string[]) {}
  tools() {
    return this.current;
  }
}

function registry(
  external: FakeToolSet,
  options: { enabled?: string[]; access?: ToolAccess; maxResultChars?: number } = {},
) {
  return new ToolRegistry(builtinTools, {
    timeoutMs: 1000,
    services: fakeToolServices(),
    external,
    ...options,
  });
}

const names = (tools: ToolRegistry, client?: string) => tools.definitions(client).map((d) => d.name);

describe('ToolRegistry with external tools', () => {
  it('offers external tools beside built-ins with their JSON Schema as given, not strict', () => {
    const set = new FakeToolSet(['docs']);
    const search = externalTool('docs', 'search');
    set.current = [search];
    const definition = registry(set)
      .definitions()
      .find((d) => d.name === 'docs__search');
    expect(definition).toEqual({
      name: 'docs__search',
      description: 'search from docs',
      parameters: search.inputSchema,
      strict: false,
      source: 'mcp:docs',
    });
    expect(registry(set).definitions()[0]).toMatchObject({ name: 'get_datetime', source: 'builtin' });
  });

  it('follows the set as it changes: new tools appear, a server that went down answers unavailable', async () => {
    const set = new FakeToolSet(['docs']);
    const tools = registry(set);
    expect(names(tools)).not.toContain('docs__search');
    set.current = [externalTool('docs', 'search')];
    expect(names(tools)).toContain('docs__search');
    set.current = [];
    expect(names(tools)).not.toContain('docs__search');
    const result = await tools.invoke('docs__search', '{}');
    expect(result).toMatchObject({ isError: true, outcome: 'unavailable', source: 'mcp:docs' });
    expect(result.content).toContain('its MCP server "docs" is not connected right now');
  });

  it('parses the arguments, calls the tool and keeps its provenance', async () => {
    const set = new FakeToolSet(['docs']);
    const search = externalTool('docs', 'search');
    set.current = [search];
    const result = await registry(set).invoke('docs__search', '{"text":"hi"}');
    expect(search.calls).toEqual([{ text: 'hi' }]);
    expect(result).toEqual({
      content: '[from MCP server "docs"]\n{"text":"hi"}',
      isError: false,
      outcome: 'ok',
      source: 'mcp:docs',
    });
    const broken = await registry(set).invoke('docs__search', '{text');
    expect(broken).toMatchObject({ outcome: 'invalid', source: 'mcp:docs' });
    expect(search.calls).toHaveLength(1);
  });

  it('caps a long result and survives a source that throws', async () => {
    const set = new FakeToolSet(['docs']);
    set.current = [
      externalTool('docs', 'long', async () => ({ content: 'y'.repeat(50), isError: false, outcome: 'ok' })),
      externalTool('docs', 'throws', async () => {
        throw new Error('socket details');
      }),
    ];
    const tools = registry(set, { maxResultChars: 5 });
    expect((await tools.invoke('docs__long', '{}')).content).toBe('yyyyy… [result truncated]');
    const thrown = await tools.invoke('docs__throws', '{}');
    expect(thrown).toMatchObject({ isError: true, outcome: 'error' });
    expect(thrown.content).not.toContain('socket');
  });

  it('stops waiting when the turn is cancelled', async () => {
    const set = new FakeToolSet(['docs']);
    set.current = [externalTool('docs', 'hangs', () => new Promise(() => {}))];
    const turn = new AbortController();
    const call = registry(set).invoke('docs__hangs', '{}', { signal: turn.signal });
    turn.abort();
    expect(await call).toMatchObject({ isError: true, content: expect.stringContaining('cancelled') });
  });

  it('shows and runs for a client only the sources its access allows', async () => {
    const set = new FakeToolSet(['docs', 'ops']);
    const ops = externalTool('ops', 'restart');
    set.current = [externalTool('docs', 'search'), ops];
    const access: ToolAccess = (client, source) => client === 'admin' || source !== 'mcp:ops';
    const tools = registry(set, { access });
    expect(names(tools, 'bot')).toContain('docs__search');
    expect(names(tools, 'bot')).not.toContain('ops__restart');
    expect(names(tools, 'admin')).toContain('ops__restart');
    const refused = await tools.invoke('ops__restart', '{}', { clientId: 'bot' });
    expect(refused).toMatchObject({ isError: true, outcome: 'unknown_tool' });
    expect(refused.content).not.toContain('ops__restart.');
    expect(ops.calls).toEqual([]);
    set.current = [];
    // Not even "unavailable" for a tool the client may not use: it does not exist for that client.
    expect(await tools.invoke('ops__restart', '{}', { clientId: 'bot' })).toMatchObject({
      outcome: 'unknown_tool',
    });
  });

  it('hides the built-in tools from a client whose policy leaves them out', async () => {
    const set = new FakeToolSet(['docs']);
    set.current = [externalTool('docs', 'search')];
    const tools = registry(set, { access: (_client, source) => source !== 'builtin' });
    expect(names(tools, 'svc')).toEqual(['docs__search']);
    expect(await tools.invoke('get_datetime', '{}', { clientId: 'svc' })).toMatchObject({
      outcome: 'unknown_tool',
    });
  });

  it('lets TOOLS name built-ins, whole MCP servers and single MCP tools', () => {
    const set = new FakeToolSet(['docs', 'ops']);
    set.current = [
      externalTool('docs', 'search'),
      externalTool('docs', 'fetch'),
      externalTool('ops', 'ping'),
    ];
    expect(names(registry(set, { enabled: ['get_datetime', 'mcp:docs'] }))).toEqual([
      'get_datetime',
      'docs__search',
      'docs__fetch',
    ]);
    expect(names(registry(set, { enabled: ['ops__ping'] }))).toEqual(['ops__ping']);
    expect(names(registry(set, { enabled: [] }))).toEqual([]);
  });

  it('rejects TOOLS entries naming a server that is not configured', () => {
    const set = new FakeToolSet(['docs']);
    expect(() => registry(set, { enabled: ['mcp:nope', 'nope__x', 'docs__later'] })).toThrow(
      'unknown tools enabled: mcp:nope, nope__x',
    );
  });
});
