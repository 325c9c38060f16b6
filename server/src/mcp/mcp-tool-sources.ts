import type { McpServerConfig } from '@parley/config';
import type { Logger } from '@parley/logger';
import type { ExternalTool, ToolSourceListener, ToolSourceState } from './external-tool.ts';
import { McpToolSource, type McpToolSourceOptions } from './mcp-tool-source.ts';

export interface McpToolSourcesDeps {
  servers: readonly McpServerConfig[];
  logger: Logger;
  /** Per-call timeout for servers whose config sets none (TOOL_TIMEOUT_MS). */
  defaultTimeoutMs: number;
  /** Tuning shared by every server (result cap, backoff, health checks). */
  options?: Omit<McpToolSourceOptions, 'server' | 'logger' | 'defaultTimeoutMs'>;
}

/**
 * Every configured MCP server, as one thing for the composition root: start them all without waiting on
 * the slow ones, the tools a given API-key client may use, each server's state for `/ready`, one
 * subscription for all events, and one close for shutdown.
 */
export class McpToolSources {
  readonly #sources: McpToolSource[];
  readonly #allowed = new Map<string, ReadonlySet<string> | undefined>();

  constructor(deps: McpToolSourcesDeps) {
    this.#sources = deps.servers.map((server) => {
      this.#allowed.set(server.name, server.clients ? new Set(server.clients) : undefined);
      return new McpToolSource({
        ...deps.options,
        server,
        logger: deps.logger,
        defaultTimeoutMs: deps.defaultTimeoutMs,
      });
    });
  }

  get sources(): readonly McpToolSource[] {
    return this.#sources;
  }

  /**
   * Starts every server in the background. Resolves when each has had its first attempt (ready or down),
   * which a caller may await with its own deadline; a server that is down keeps reconnecting either way.
   */
  start(): Promise<void> {
    return Promise.all(this.#sources.map((source) => source.start())).then(() => undefined);
  }

  /** Whether `client` (an API_KEYS client name) may use `server`'s tools; servers without `clients` allow all. */
  allows(server: string, client: string): boolean {
    if (!this.#allowed.has(server)) return false;
    const allowed = this.#allowed.get(server);
    return allowed === undefined || allowed.has(client);
  }

  /** The tools ready now; only those `client` may use when a client is given. */
  tools(client?: string): ExternalTool[] {
    return this.#sources
      .filter((source) => client === undefined || this.allows(source.name, client))
      .flatMap((source) => source.tools());
  }

  /** Each server's state by name, for `/ready` (an MCP server is an optional component: never fatal). */
  states(): Record<string, ToolSourceState> {
    return Object.fromEntries(this.#sources.map((source) => [source.name, source.state()]));
  }

  /** Subscribes to every server's events; returns the unsubscribe function. */
  subscribe(listener: ToolSourceListener): () => void {
    const unsubscribes = this.#sources.map((source) => source.subscribe(listener));
    return () => {
      for (const unsubscribe of unsubscribes) unsubscribe();
    };
  }

  /** Closes every session and ends every child. */
  async close(): Promise<void> {
    await Promise.allSettled(this.#sources.map((source) => source.close()));
  }
}
