import type { LlmToolDefinition } from './llm.ts';

/** The outcome of one tool call, as text the model can read. */
export interface ToolRunResult {
  content: string;
  isError: boolean;
  /**
   * How the call ended, for metrics and traces (the tool registry's outcome: `ok`, `fresh`, `cached`,
   * `stale`, `unavailable`, `error`, `invalid`, `unknown_tool`, `timeout`). Absent: `error` or `ok`.
   */
  outcome?: string;
}

/**
 * What the assistant needs from the tool registry: the definitions to offer the model, and a way to run
 * a call (arguments as the model's JSON text). Running never throws: failures come back as text.
 */
export interface ToolRunner {
  definitions(): LlmToolDefinition[];
  invoke(name: string, rawArguments: string, signal: AbortSignal): Promise<ToolRunResult>;
}

/** No tools at all. */
export const noTools: ToolRunner = {
  definitions: () => [],
  invoke: async (name) => ({ content: `Unknown tool "${name}".`, isError: true, outcome: 'unknown_tool' }),
};
