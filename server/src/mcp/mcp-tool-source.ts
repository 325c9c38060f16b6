import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import type { McpServerConfig } from '@parley/config';
import type { Logger } from '@parley/logger';
import { ExponentialBackoff, type IBackoff } from 'cockatiel';
import type {
  ExternalTool,
  ExternalToolResult,
  ToolSource,
  ToolSourceEvent,
  ToolSourceListener,
  ToolSourceState,
  ToolSourceStatus,
} from './external-tool.ts';
import { callMcpTool, type McpCallTarget, type McpCallTool } from './mcp-call.ts';
import { createMcpConnection, createScrubber, type McpConnection } from './mcp-connection.ts';
import { listMcpTools } from './mcp-tool-list.ts';

export interface McpToolSourceOptions {
  server: McpServerConfig;
  logger: Logger;
  /** Per-call timeout when the server's config sets none (the registry's TOOL_TIMEOUT_MS). */
  defaultTimeoutMs: number;
  /** Longer results are cut. Default 16,000 characters, like the registry. */
  maxResultChars?: number;
  /** Delay before reconnecting (or restarting a child), growing with jitter. Default 500 ms up to 30 s. */
  reconnect?: { initialDelayMs?: number; maxDelayMs?: number };
  /** How often a ready server is pinged to notice a dead one without waiting for a call. Default 15 s. */
  healthCheckMs?: number;
  /** Longest the handshake, a tool listing or a ping may take. Default 30 s (npx may download first). */
  requestTimeoutMs?: number;
}

// A server that stays up this long has recovered: the next failure starts the backoff from the beginning.
const STABLE_AFTER_MS = 30_000;

/**
 * The tools of one MCP server, kept live. Connects in the background (stdio: spawns the child), lists the
 * tools at connect and on `notifications/tools/list_changed`, and publishes them namespaced
 * (`<server>__<tool>`). A server that fails, a child that exits, or a ping that goes unanswered makes the
 * source `down`: its tools disappear and it reconnects with backoff until it is `ready` again.
 */
export class McpToolSource implements ToolSource {
  readonly name: string;
  readonly #server: McpServerConfig;
  readonly #logger: Logger;
  readonly #scrub: (text: string) => string;
  readonly #backoffFactory: ExponentialBackoff<unknown>;
  readonly #healthCheckMs: number;
  readonly #requestTimeoutMs: number;
  readonly #callTarget: Omit<McpCallTarget, 'client'>;
  readonly #listeners = new Set<ToolSourceListener>();
  #state: Omit<ToolSourceState, 'tools'> = { status: 'connecting', since: new Date(), attempts: 0 };
  #connection: McpConnection | undefined;
  #generation = 0;
  #tools: readonly ExternalTool[] = [];
  #backoff: IBackoff<unknown> | undefined;
  #readyAt = 0;
  #retryTimer: NodeJS.Timeout | undefined;
  #healthTimer: NodeJS.Timeout | undefined;
  #listing: { generation: number; done: Promise<void> } | undefined;
  #relist = false;
  #probing = false;
  #started = false;

  constructor(options: McpToolSourceOptions) {
    this.name = options.server.name;
    this.#server = options.server;
    this.#logger = options.logger.child({ mcpServer: this.name });
    this.#scrub = createScrubber(options.server);
    this.#backoffFactory = new ExponentialBackoff({
      initialDelay: options.reconnect?.initialDelayMs ?? 500,
      maxDelay: options.reconnect?.maxDelayMs ?? 30_000,
    });
    this.#healthCheckMs = options.healthCheckMs ?? 15_000;
    this.#requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    this.#callTarget = {
      server: this.name,
      timeoutMs: options.server.timeoutMs ?? options.defaultTimeoutMs,
      maxResultChars: options.maxResultChars ?? 16_000,
      scrub: this.#scrub,
      logger: this.#logger,
    };
  }

  tools(): readonly ExternalTool[] {
    return this.#state.status === 'ready' ? this.#tools : [];
  }

  state(): ToolSourceState {
    return { ...this.#state, tools: this.tools().length };
  }

  /** The stdio child's pid while one runs (for operators and tests); undefined for HTTP. */
  get processId(): number | undefined {
    return this.#connection?.processId();
  }

  subscribe(listener: ToolSourceListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    await this.#connect();
  }

  async close(): Promise<void> {
    if (this.#state.status === 'closed') return;
    const wasReady = this.#state.status === 'ready';
    this.#generation++;
    this.#stopTimers();
    const connection = this.#connection;
    this.#connection = undefined;
    this.#setState('closed');
    if (wasReady) this.#publish();
    await connection
      ?.close()
      .catch((err: unknown) => this.#logger.debug({ err: this.#describe(err) }, 'close'));
  }

  async #connect(): Promise<void> {
    if (this.#state.status === 'closed') return;
    const generation = ++this.#generation;
    if (this.#state.status !== 'connecting') this.#setState('connecting');
    const connection = createMcpConnection(this.#server, {
      onStderr: (line) => this.#logger.info({ stderr: this.#scrub(line) }, 'mcp server stderr'),
    });
    this.#connection = connection;
    const { client } = connection;
    client.onerror = (err) => this.#transportError(generation, err);
    client.setNotificationHandler(ToolListChangedNotificationSchema, async () => {
      await this.#refresh(generation).catch((err: unknown) => {
        this.#logger.warn({ err: this.#describe(err) }, 'listing tools after list_changed failed');
        void this.#probe(generation);
      });
    });
    try {
      await connection.connect(this.#requestTimeoutMs);
      // Set only now: a failed handshake closes the client too, and its own error says more than "closed".
      client.onclose = () => this.#lost(generation, new Error('the connection closed'));
      await this.#refresh(generation);
      if (generation !== this.#generation) return;
      this.#readyAt = Date.now();
      this.#setState('ready');
      this.#publish();
      this.#logger.info({ tools: this.#tools.map((t) => t.name) }, 'mcp server ready');
      this.#healthTimer = setInterval(() => void this.#probe(generation), this.#healthCheckMs);
      this.#healthTimer.unref();
    } catch (err) {
      this.#lost(generation, err);
    }
  }

  /** Lists the tools again; concurrent requests share one listing plus at most one more after it. */
  #refresh(generation: number): Promise<void> {
    // A listing of an older connection is never shared: it returns early and would leave this one unlisted.
    if (this.#listing?.generation === generation) {
      this.#relist = true;
      return this.#listing.done;
    }
    const run = async () => {
      do {
        this.#relist = false;
        const tools = await this.#listTools(generation);
        if (generation !== this.#generation) return;
        this.#tools = tools;
        if (this.#state.status === 'ready') this.#publish();
      } while (this.#relist);
    };
    const done = run().finally(() => {
      if (this.#listing?.done === done) this.#listing = undefined;
    });
    this.#listing = { generation, done };
    return done;
  }

  async #listTools(generation: number): Promise<ExternalTool[]> {
    const connection = this.#connection;
    if (!connection || generation !== this.#generation) return [];
    return listMcpTools(connection.client, {
      server: this.name,
      timeoutMs: this.#requestTimeoutMs,
      logger: this.#logger,
      call: (tool, args, signal) => this.#call(tool, args, signal),
    });
  }

  async #call(tool: McpCallTool, args: unknown, signal: AbortSignal): Promise<ExternalToolResult> {
    const started = performance.now();
    const generation = this.#generation;
    const client = this.#state.status === 'ready' ? this.#connection?.client : undefined;
    const result = await callMcpTool({ ...this.#callTarget, client }, tool, args, signal);
    // A call that failed on the connection (not on the tool) is the fastest sign that the server is gone.
    if (result.connectionFailed) void this.#probe(generation);
    this.#emit({
      type: 'call',
      source: this.name,
      tool: tool.source.tool,
      outcome: result.outcome,
      durationMs: performance.now() - started,
    });
    const { connectionFailed: _failed, ...answer } = result;
    return answer;
  }

  async #probe(generation: number): Promise<void> {
    const connection = this.#connection;
    if (this.#probing || !connection || generation !== this.#generation) return;
    this.#probing = true;
    try {
      await connection.client.ping({ timeout: Math.min(this.#requestTimeoutMs, 10_000) });
    } catch (err) {
      this.#lost(generation, err);
    } finally {
      this.#probing = false;
    }
  }

  #transportError(generation: number, err: Error): void {
    if (generation !== this.#generation) return;
    this.#logger.debug({ err: this.#describe(err) }, 'mcp transport error');
    // Transports report recoverable trouble here too (a dropped event stream they re-open): check, don't assume.
    if (this.#state.status === 'ready') void this.#probe(generation);
  }

  #lost(generation: number, err: unknown): void {
    if (generation !== this.#generation || this.#state.status === 'closed') return;
    this.#generation++;
    this.#stopTimers();
    const connection = this.#connection;
    this.#connection = undefined;
    this.#tools = [];
    void connection?.close().catch(() => undefined);
    const wasReady = this.#state.status === 'ready';
    if (wasReady && Date.now() - this.#readyAt >= STABLE_AFTER_MS) this.#backoff = undefined;
    this.#backoff = (this.#backoff ?? this.#backoffFactory).next(undefined);
    const lastError = this.#describe(err);
    this.#state = { status: 'down', since: new Date(), attempts: this.#state.attempts + 1, lastError };
    this.#emit({ type: 'state', source: this.name, state: this.state() });
    if (wasReady) this.#publish();
    const delay = Math.round(this.#backoff.duration);
    this.#logger.warn({ err: lastError, retryInMs: delay }, 'mcp server down');
    this.#retryTimer = setTimeout(() => void this.#connect(), delay);
    this.#retryTimer.unref();
  }

  #setState(status: ToolSourceStatus): void {
    const attempts = status === 'ready' ? 0 : this.#state.attempts;
    const lastError = status === 'ready' ? undefined : this.#state.lastError;
    this.#state = { status, since: new Date(), attempts, ...(lastError ? { lastError } : {}) };
    this.#emit({ type: 'state', source: this.name, state: this.state() });
  }

  #publish(): void {
    this.#emit({ type: 'tools', source: this.name, tools: this.tools() });
  }

  #emit(event: ToolSourceEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (err) {
        this.#logger.error({ err }, 'tool source listener threw');
      }
    }
  }

  #stopTimers(): void {
    clearTimeout(this.#retryTimer);
    clearInterval(this.#healthTimer);
  }

  /** One line, secrets removed: what /ready and the logs may show. */
  #describe(err: unknown): string {
    const message = err instanceof Error ? err.message : String(err);
    const code = (err as { cause?: { code?: unknown } } | undefined)?.cause?.code;
    const text = `${message}${typeof code === 'string' ? ` (${code})` : ''}`.replace(/\s+/g, ' ');
    return this.#scrub(text).slice(0, 300);
  }
}
