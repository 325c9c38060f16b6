import { ListToolsResponse, ToolInfo } from '@parley/rpc';
import { FakeChatClient } from '@parley/rpc/testing';
import { describe, expect, it } from 'vitest';
import { type CommandContext, cliSession } from '../io/command-context.ts';
import { testIo } from '../testing/test-io.ts';
import { runTools } from './tools.ts';

function context(tools: ToolInfo[]) {
  const t = testIo();
  const client = new FakeChatClient({ listTools: async () => ListToolsResponse.create({ tools }) });
  const ctx: CommandContext = { io: t.io, client, session: cliSession(t.io.env), serverUrl: 'http://x' };
  return { ctx, client, ...t };
}

const tools = [
  ToolInfo.create({ name: 'get_datetime', description: 'Current date and time', source: 'builtin' }),
  ToolInfo.create({ name: 'docs__search', description: 'Search the docs\nsecond line', source: 'mcp:docs' }),
];

describe('runTools', () => {
  it('prints each tool with its source and the first line of its description', async () => {
    const { ctx, stdout } = context(tools);
    expect(await runTools(ctx, {})).toBe(0);
    expect(stdout.text.split('\n')).toEqual([
      'NAME          SOURCE    DESCRIPTION',
      'get_datetime  builtin   Current date and time',
      'docs__search  mcp:docs  Search the docs',
      '',
    ]);
  });

  it('prints the response as JSON with --json', async () => {
    const { ctx, stdout } = context(tools);
    await runTools(ctx, { json: true });
    expect(JSON.parse(stdout.text).tools[1]).toEqual({
      name: 'docs__search',
      description: 'Search the docs\nsecond line',
      source: 'mcp:docs',
    });
  });

  it('says so when there are no tools', async () => {
    const { ctx, stdout, stderr } = context([]);
    await runTools(ctx, {});
    expect(stdout.text).toBe('');
    expect(stderr.text).toContain('no tools');
  });
});
