import type { Logger } from '@parley/logger';

/** A tool the model may call, described by a JSON schema. */
export interface ToolDefinition {
  name: string;
  description: string;
  parameters: Record<string, unknown>;
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
  /** Where the answer came from (`mcp:<server>`); unset for built-in tools. */
  provenance?: string;
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

/**
 * What the assistant needs from the tools: the definitions to offer the model, and a way to run a call
 * (arguments as the model's JSON text). Running never throws: failures come back as results.
 */
export interface ToolRunner {
  definitions(): ToolDefinition[];
  /** `logger` is the request's (its ids on every line); the registry's own logger otherwise. */
  invoke(name: string, rawArguments: string, signal?: AbortSignal, logger?: Logger): Promise<ToolResult>;
}
