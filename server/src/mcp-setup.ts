import type { ClientPolicy, McpServerConfig } from '@parley/config';
import type { Logger } from '@parley/logger';
import type { Registry } from 'prom-client';
import type { McpToolSourcesDeps } from './mcp/mcp-tool-sources.ts';
import { createMcpMetrics, mcpReadiness, recordMcpEvents } from './observability/mcp-telemetry.ts';
import type { ComponentStatus } from './observability/readiness.ts';
import { allowsToolSource } from './policy/client-rules.ts';
import type { ExternalToolSet, ToolAccess } from './tools/registry.ts';

export interface McpSetupDeps {
  servers: readonly McpServerConfig[];
  logger: Logger;
  /** TOOL_TIMEOUT_MS: the per-call timeout of servers whose config sets none. */
  defaultTimeoutMs: number;
  /** Where the per-server metrics are registered. */
  registry: Registry;
  /** Client policies by client name; their tool sources narrow what each client may use. */
  policies?: Readonly<Record<string, ClientPolicy>> | undefined;
  /** Connection tuning (tests shorten the reconnect backoff). */
  options?: McpToolSourcesDeps['options'];
}

/** The MCP servers as the rest of the server uses them. */
export interface McpSetup {
  /** What the tool registry reads its MCP tools from. */
  external: ExternalToolSet;
  /** Which client may use which source: the server's `clients` allow-list and the client's policy. */
  access: ToolAccess;
  /** Each server as an optional `/ready` component. */
  readiness(): Record<string, ComponentStatus>;
  /** Connects every server in the background; startup never waits for a slow or dead one. */
  start(): void;
  /** Ends every session and child process. */
  close(): Promise<void>;
}

/** No MCP servers configured: no tools, nothing to connect, and the MCP SDK is never loaded. */
const NO_MCP: McpSetup = {
  external: { servers: [], tools: () => [] },
  access: () => true,
  readiness: () => ({}),
  start: () => undefined,
  close: async () => undefined,
};

export async function createMcpSetup(deps: McpSetupDeps): Promise<McpSetup> {
  // Registered either way, so /metrics (and the dashboard) keep the same series.
  const metrics = createMcpMetrics(deps.registry);
  if (deps.servers.length === 0) return withPolicies(NO_MCP, deps.policies);
  const { McpToolSources } = await import('./mcp/mcp-tool-sources.ts');
  const sources = new McpToolSources({
    servers: deps.servers,
    logger: deps.logger,
    defaultTimeoutMs: deps.defaultTimeoutMs,
    ...(deps.options ? { options: deps.options } : {}),
  });
  const unsubscribe = sources.subscribe(recordMcpEvents(metrics));
  const servers = deps.servers.map((server) => server.name);
  const policies = deps.policies;
  if (servers.length > 0) deps.logger.info({ servers }, 'connecting to MCP servers in the background');
  return {
    external: { servers, tools: () => sources.tools() },
    access: (clientId, source) => {
      if (source.startsWith('mcp:') && !sources.allows(source.slice(4), clientId)) return false;
      const policy = policies?.[clientId];
      return policy === undefined || allowsToolSource(policy, source);
    },
    readiness: () => mcpReadiness(sources.states()),
    start: () => void sources.start(),
    async close() {
      unsubscribe();
      await sources.close();
    },
  };
}

/** Without MCP servers only the client policies decide (e.g. a client denied the built-in tools). */
function withPolicies(setup: McpSetup, policies: McpSetupDeps['policies']): McpSetup {
  return {
    ...setup,
    access: (clientId, source) => {
      const policy = policies?.[clientId];
      return policy === undefined || allowsToolSource(policy, source);
    },
  };
}
