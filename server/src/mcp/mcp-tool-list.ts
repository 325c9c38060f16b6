import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Tool as McpTool } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from '@parley/logger';
import { ArgumentValidator } from './argument-validator.ts';
import type { ExternalTool, ExternalToolResult } from './external-tool.ts';
import type { McpCallTool } from './mcp-call.ts';
import { ToolNamer } from './tool-names.ts';

const MAX_LIST_PAGES = 20;
const MAX_DESCRIPTION_CHARS = 2_000;

export interface ListMcpToolsOptions {
  server: string;
  timeoutMs: number;
  logger: Logger;
  /** Runs a call through the source, which knows the current connection and reports the outcome. */
  call: (tool: McpCallTool, args: unknown, signal: AbortSignal) => Promise<ExternalToolResult>;
}

/**
 * Lists a server's tools (following pagination) as external tools: namespaced, schemas compiled. A tool
 * whose name collides once namespaced or whose schema does not compile is left out with a warning rather
 * than offered unchecked.
 */
export async function listMcpTools(client: Client, options: ListMcpToolsOptions): Promise<ExternalTool[]> {
  const validator = new ArgumentValidator();
  const namer = new ToolNamer(options.server);
  const tools: ExternalTool[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_LIST_PAGES; page++) {
    const result = await client.listTools(cursor ? { cursor } : undefined, { timeout: options.timeoutMs });
    for (const tool of result.tools) {
      const external = toExternal(tool, validator, namer, options);
      if (external) tools.push(external);
    }
    cursor = result.nextCursor;
    if (!cursor) break;
  }
  return tools;
}

function toExternal(
  tool: McpTool,
  validator: ArgumentValidator,
  namer: ToolNamer,
  options: ListMcpToolsOptions,
): ExternalTool | undefined {
  const name = namer.name(tool.name);
  if (!name) {
    options.logger.warn(
      { tool: tool.name },
      'mcp tool left out: its name collides with another once namespaced',
    );
    return undefined;
  }
  const schema = tool.inputSchema as Record<string, unknown>;
  let check: McpCallTool['check'];
  try {
    check = validator.compile(name, schema);
  } catch (err) {
    options.logger.warn(
      { tool: tool.name, err: String(err) },
      'mcp tool left out: its input schema does not compile',
    );
    return undefined;
  }
  // The dialect marker means nothing to a model and some providers reject unknown top-level keys.
  const { $schema: _dialect, ...inputSchema } = schema;
  const source = { kind: 'mcp' as const, server: options.server, tool: tool.name };
  const description = (tool.description ?? tool.title ?? tool.annotations?.title ?? '').slice(
    0,
    MAX_DESCRIPTION_CHARS,
  );
  return {
    name,
    description,
    inputSchema,
    source,
    call: (args, { signal }) => options.call({ name, source, check }, args, signal),
  };
}
