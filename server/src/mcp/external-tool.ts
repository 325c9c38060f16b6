/**
 * The seam between tool sources outside this process (MCP servers today) and the tool registry. The
 * registry needs only these types: it lists a source's current tools, listens for changes, and calls a
 * tool; it never sees MCP itself.
 */

/** Where a tool comes from, kept with every result (provenance). */
export interface ExternalToolSourceRef {
  kind: 'mcp';
  /** The configured server name (the prefix of the tool's name). */
  server: string;
  /** The tool's own name on that server (before namespacing). */
  tool: string;
}

/** How a call ended, for metrics and logs. A subset of the registry's `ToolOutcome`, plus `cancelled`. */
export type ExternalToolOutcome = 'ok' | 'error' | 'invalid' | 'timeout' | 'unavailable' | 'cancelled';

/** What the model reads back: always text, already capped in size and marked with its source. */
export interface ExternalToolResult {
  content: string;
  isError: boolean;
  outcome: ExternalToolOutcome;
  source: ExternalToolSourceRef;
}

/** A tool offered by an external source, ready to hand to the model. */
export interface ExternalTool {
  /** Namespaced and within model limits: `^[a-zA-Z0-9_-]{1,64}$`, e.g. `everything__echo`. */
  name: string;
  description: string;
  /** The tool's JSON Schema for its arguments (an object schema), as the model should see it. */
  inputSchema: Record<string, unknown>;
  source: ExternalToolSourceRef;
  /**
   * Validates `args` against `inputSchema` (nothing is sent when they are invalid), then calls the tool
   * with the source's timeout. Never throws: every failure is a result with `isError` and text the model
   * can read (internal details are logged, not returned).
   */
  call(args: unknown, options: { signal: AbortSignal }): Promise<ExternalToolResult>;
}

export type ToolSourceStatus = 'connecting' | 'ready' | 'down' | 'closed';

/** One source's health, for `/ready` and logs. */
export interface ToolSourceState {
  status: ToolSourceStatus;
  /** When the status last changed. */
  since: Date;
  /** Number of tools currently offered (0 unless ready). */
  tools: number;
  /** The last connection or listing failure, with secrets removed; cleared when ready. */
  lastError?: string;
  /** Failed connection attempts since the last success (drives the backoff). */
  attempts: number;
}

/** What a source reports; one stream serves the registry (tools), `/ready` (state) and metrics (calls). */
export type ToolSourceEvent =
  | { type: 'tools'; source: string; tools: readonly ExternalTool[] }
  | { type: 'state'; source: string; state: ToolSourceState }
  | {
      type: 'call';
      source: string;
      tool: string;
      outcome: ExternalToolOutcome;
      durationMs: number;
    };

export type ToolSourceListener = (event: ToolSourceEvent) => void;

/** A live set of external tools that may change at any time (reconnects, list-changed notifications). */
export interface ToolSource {
  readonly name: string;
  /** The tools offered now; empty while the source is not ready (its tools are left out, not broken). */
  tools(): readonly ExternalTool[];
  state(): ToolSourceState;
  /** Returns the unsubscribe function. Listeners must not throw (a throwing listener is ignored). */
  subscribe(listener: ToolSourceListener): () => void;
  /** Starts connecting in the background; resolves once the first attempt has finished either way. */
  start(): Promise<void>;
  /** Stops reconnecting, ends the session and any child process. */
  close(): Promise<void>;
}
