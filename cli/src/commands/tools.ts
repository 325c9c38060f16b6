import { ListToolsResponse, type ToolInfo } from '@parley/rpc';
import type { CommandContext } from '../io/command-context.ts';
import { ExitCode } from '../io/exit-codes.ts';
import { formatTable, shorten, writeJson, writeLine } from '../io/output.ts';

export interface ToolsOptions {
  json?: boolean;
}

/**
 * `parley tools`: what the assistant can use in this key's turns, built-in and from MCP servers. Failed
 * calls throw: the program reports them like every command's.
 */
export async function runTools(ctx: CommandContext, options: ToolsOptions): Promise<number> {
  const response = await ctx.client.listTools({});
  if (options.json) {
    writeJson(ctx.io.stdout, ListToolsResponse.toJson(response));
    return ExitCode.ok;
  }
  if (response.tools.length === 0) {
    writeLine(
      ctx.io.stderr,
      'the assistant has no tools for this key (see TOOLS and MCP_SERVERS on the server)',
    );
    return ExitCode.ok;
  }
  writeLine(ctx.io.stdout, formatToolTable(response.tools));
  return ExitCode.ok;
}

/** Columns NAME, SOURCE, DESCRIPTION (its first line, shortened). */
export function formatToolTable(tools: ToolInfo[]): string {
  const rows = tools.map((tool) => [
    tool.name,
    tool.source,
    shorten(tool.description.split('\n')[0] ?? '', 70),
  ]);
  return formatTable(['NAME', 'SOURCE', 'DESCRIPTION'], rows);
}
