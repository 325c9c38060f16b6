import type { Logger } from '@parley/logger';

/** Where a tool comes from: `builtin`, or `mcp:<server>` for an MCP server's tool (as policies name them). */
export type ToolSourceName = 'builtin' | `mcp:${string}`;

/** A tool the model may call, described by a JSON schema. */
export interface ToolDefinition {
  name: string;
  description: string;
  parameters: Record<string, unknown>;
  /**
   * Whether `parameters` is in the subset OpenAI's strict mode accepts (the registry rewrites built-in
   * schemas so); `false` for schemas sent as their author wrote them (MCP tools). Default true.
   */
  strict?: boolean;
  /** Where the tool comes from; the registry sets it. */
  source?: ToolSourceName;
}

/** How a tool call ended, for metrics, traces and logs. */
export type ToolOutcome =
  | 'ok'
  | 'fresh'
  | 'cached'
  | 'stale'
  | 'unavailable'
  | 'error'
  | 'invalid'
  | 'unknown_tool'
  | 'timeout';

/**
 * The one result of a tool call: what the model reads back, whether the call failed to produce what was
 * asked (the model still reads `content`), and how it ended. Tools build it with {@link toolOk} and
 * {@link toolError}; the registry returns it for every call, failures included.
 */
export interface ToolResult {
  content: string;
  isError: boolean;
  outcome: ToolOutcome;
  /** Which source answered (provenance); the registry sets it on every result of a known tool. */
  source?: ToolSourceName;
}

/** A successful answer; objects are sent to the model as JSON. */
export function toolOk(content: string | object, outcome: ToolOutcome = 'ok'): ToolResult {
  return {
    content: typeof content === 'string' ? content : JSON.stringify(content),
    isError: false,
    outcome,
  };
}

/** An answer that tells the model the call did not produce what it asked for. */
export function toolError(content: string, outcome: ToolOutcome = 'error'): ToolResult {
  return { content, isError: true, outcome };
}

/** A call the model made and what it got back, as stored with the reply. */
export interface ToolCallRecord {
  id: string;
  name: string;
  /** JSON text, as the model sent it. */
  arguments: string;
  result: string;
  isError: boolean;
}

/** Who a call runs for and how long it may run. */
export interface ToolCallScope {
  /** Ends the call (the turn was cancelled). */
  signal?: AbortSignal;
  /**
   * The API-key client whose turn this is: it sees and calls only the tools its policy allows. Without
   * one (tests, tools used outside a turn) every enabled tool is available.
   */
  clientId?: string;
  /** The request's logger (its ids on every line); the registry's own logger otherwise. */
  logger?: Logger;
}

/**
 * What the assistant needs from the tools: the definitions to offer the model, and a way to run a call
 * (arguments as the model's JSON text). Both are per calling client. Running never throws: failures
 * come back as results.
 */
export interface ToolRunner {
  definitions(clientId?: string): ToolDefinition[];
  invoke(name: string, rawArguments: string, scope?: ToolCallScope): Promise<ToolResult>;
}
