import type { ExternalTool } from '../mcp/external-tool.ts';

/**
 * Which tools an operator turned on with `TOOLS`: built-in names, whole MCP servers (`mcp:<server>`) and
 * single MCP tools (`<server>__<tool>`). An MCP tool may be named before its server has connected, so only
 * the server part of such an entry is checked.
 */
export interface ToolSelection {
  builtin(name: string): boolean;
  external(tool: ExternalTool): boolean;
}

/**
 * Reads `enabled` against the built-in names and the configured MCP servers; undefined enables all.
 * Throws listing every entry that names nothing, so a typo fails at start-up.
 */
export function selectTools(
  enabled: readonly string[] | undefined,
  builtinNames: ReadonlySet<string>,
  servers: readonly string[],
): ToolSelection {
  if (enabled === undefined) return { builtin: () => true, external: () => true };
  const known = new Set(servers);
  const builtins = new Set<string>();
  const wholeServers = new Set<string>();
  const externalNames = new Set<string>();
  const unknown: string[] = [];
  for (const entry of enabled) {
    const server = entry.startsWith('mcp:') ? entry.slice(4) : entry.split('__')[0];
    if (builtinNames.has(entry)) builtins.add(entry);
    else if (entry.startsWith('mcp:') && known.has(server ?? '')) wholeServers.add(server ?? '');
    else if (entry.includes('__') && known.has(server ?? '')) externalNames.add(entry);
    else unknown.push(entry);
  }
  if (unknown.length > 0) throw new Error(`unknown tools enabled: ${unknown.join(', ')}`);
  return {
    builtin: (name) => builtins.has(name),
    external: (tool) => wholeServers.has(tool.source.server) || externalNames.has(tool.name),
  };
}
