import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from '@parley/logger';
import { abortAfter } from '../providers/abort.ts';
import type { CheckArguments } from './argument-validator.ts';
import type { ExternalToolOutcome, ExternalToolResult, ExternalToolSourceRef } from './external-tool.ts';
import { cap, resultText, withProvenance } from './result-text.ts';

/** What one call needs from its source; `client` is undefined while the server is not ready. */
export interface McpCallTarget {
  client: Client | undefined;
  server: string;
  timeoutMs: number;
  maxResultChars: number;
  scrub: (text: string) => string;
  logger: Logger;
}

export interface McpCallTool {
  /** The namespaced name the model used. */
  name: string;
  source: ExternalToolSourceRef;
  check: CheckArguments;
}

/** The result, plus whether the connection (not the tool) failed, so the source can check its server. */
export type McpCallResult = ExternalToolResult & { connectionFailed: boolean };

// Errors the server sends about the request itself: their text is meant for the caller and helps the model.
const REQUEST_ERRORS: ReadonlySet<number> = new Set([
  ErrorCode.InvalidParams,
  ErrorCode.InvalidRequest,
  ErrorCode.MethodNotFound,
]);

/**
 * Calls one MCP tool: arguments validated first (an invalid call never reaches the server), then a call
 * bounded by the timeout and the caller's signal (the SDK tells the server to cancel). Never throws.
 */
export async function callMcpTool(
  target: McpCallTarget,
  tool: McpCallTool,
  args: unknown,
  signal: AbortSignal,
): Promise<McpCallResult> {
  const answer = (outcome: ExternalToolOutcome, text: string, connectionFailed = false): McpCallResult => ({
    content: withProvenance(target.server, text),
    isError: outcome !== 'ok',
    outcome,
    source: tool.source,
    connectionFailed,
  });
  if (!target.client) {
    return answer(
      'unavailable',
      `${tool.name} is unavailable: its MCP server "${target.server}" is not connected right now. Tell the user; do not guess its result.`,
    );
  }
  const check = tool.check(args);
  if (!check.ok) return answer('invalid', check.message);
  if (signal.aborted) return answer('cancelled', `The call to ${tool.name} was cancelled.`);
  const deadline = abortAfter(target.timeoutMs);
  const combined = AbortSignal.any([signal, deadline.signal]);
  try {
    // The SDK rejects as soon as the signal aborts and sends the server notifications/cancelled.
    const raw = await target.client.callTool(
      { name: tool.source.tool, arguments: args as Record<string, unknown> },
      undefined,
      // Our deadline fires first; the SDK's own timeout (60 s by default) only backs it up.
      { signal: combined, timeout: target.timeoutMs + 1_000 },
    );
    const isError = raw.isError === true;
    return {
      content: resultText(raw, { server: target.server, maxChars: target.maxResultChars }),
      isError,
      outcome: isError ? 'error' : 'ok',
      source: tool.source,
      connectionFailed: false,
    };
  } catch (err) {
    if (signal.aborted) return answer('cancelled', `The call to ${tool.name} was cancelled.`);
    if (deadline.signal.aborted || (err instanceof McpError && err.code === ErrorCode.RequestTimeout)) {
      target.logger.warn({ tool: tool.source.tool, timeoutMs: target.timeoutMs }, 'mcp tool timed out');
      const seconds = Math.round(target.timeoutMs / 100) / 10;
      return answer(
        'timeout',
        `${tool.name} did not answer within ${seconds} s and was stopped. Tell the user it timed out; do not guess its result.`,
      );
    }
    const message = target.scrub(err instanceof Error ? err.message : String(err));
    if (err instanceof McpError && REQUEST_ERRORS.has(err.code)) {
      const outcome = err.code === ErrorCode.InvalidParams ? 'invalid' : 'error';
      return answer(outcome, `${tool.name} refused the call: ${cap(message, 500)}`);
    }
    target.logger.warn({ tool: tool.source.tool, err: message }, 'mcp tool call failed');
    return answer(
      'error',
      `${tool.name} failed: its MCP server "${target.server}" did not answer properly. Tell the user it is not working right now; do not guess its result.`,
      !(err instanceof McpError) || err.code === ErrorCode.ConnectionClosed,
    );
  } finally {
    deadline.clear();
  }
}
