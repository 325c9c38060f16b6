import { UnavailableError } from '../errors/app-error.ts';
import type { ToolCallRecord, ToolCallScope, ToolDefinition, ToolRunner } from '../tools/tool-runner.ts';
import type { Llm, LlmMessage, LlmResponse, LlmToolCall, LlmUsage } from './llm.ts';
import type { ReplyScope } from './reply-scope.ts';
import { ReplyText } from './reply-text.ts';

export interface ToolLoopDeps {
  llm: Llm;
  tools: ToolRunner;
  /** Rounds of tool calls before the model must answer with what it has. */
  maxToolRounds: number;
}

export interface ToolLoopTurn {
  /** The prompt; the loop appends each round's calls and results to it. */
  messages: LlmMessage[];
  model: string | undefined;
  scope: ReplyScope;
  /** Whose turn it is: its client sees only the tools its policy allows (all when absent). */
  clientId: string | undefined;
  /** Tools the client declared: offered beside the server's own (replacing one of the same name). */
  clientTools: readonly ToolDefinition[];
}

export interface ToolLoopResult {
  content: string;
  usage: LlmUsage;
  /** Tool calls made while producing this reply, with their results. */
  toolCalls: ToolCallRecord[];
  /** Distinct names of the tools used, in first-use order. */
  toolsUsed: string[];
  /**
   * Calls of the client's own tools ({@link ToolLoopTurn.clientTools}) the model made: the reply ends
   * with them, and the client runs them and sends their results in its next request. Empty otherwise.
   */
  pendingToolCalls: LlmToolCall[];
}

const CAP_NOTE =
  'You have used the maximum number of tool calls for this message. Answer now with the information ' +
  'you have, and say briefly if something could not be looked up.';

const CAP_FALLBACK = 'I could not finish looking that up. Please try asking in a simpler way.';

const EMPTY_ANSWER = 'the model returned an empty answer; try again';

/**
 * Asks the model, runs the server's tools it calls (in parallel) and asks again, for a capped number of
 * rounds; the text is told to `scope` as it comes. Ends at an answer, or at calls of the client's tools.
 */
export async function runToolLoop(deps: ToolLoopDeps, turn: ToolLoopTurn): Promise<ToolLoopResult> {
  const { messages, model, scope } = turn;
  const theirs = new Set(turn.clientTools.map((t) => t.name));
  const tools = [
    ...deps.tools.definitions(turn.clientId).filter((t) => !theirs.has(t.name)),
    ...turn.clientTools,
  ];
  const usage: LlmUsage = { promptTokens: 0, completionTokens: 0, totalTokens: 0 };
  const toolCalls: ToolCallRecord[] = [];
  const text = new ReplyText(scope);
  const result = (pending: LlmToolCall[]): ToolLoopResult => {
    const toolsUsed = [...new Set(toolCalls.map((t) => t.name))];
    return { content: text.content, usage, toolCalls, toolsUsed, pendingToolCalls: pending };
  };
  for (let round = 0; ; round++) {
    const capped = round >= deps.maxToolRounds;
    text.startRound();
    const response = await deps.llm.complete({
      messages: capped ? [...messages, { role: 'system', content: CAP_NOTE }] : messages,
      ...(tools.length > 0 && !capped ? { tools } : {}),
      ...(model ? { model } : {}),
      signal: scope.signal,
      onDelta: (piece) => text.tell(piece),
    });
    addUsage(usage, response);
    text.settle(response.content);
    const pending = capped ? [] : response.toolCalls.filter((call) => theirs.has(call.name));
    const own = response.toolCalls.filter((call) => !theirs.has(call.name));
    if (own.length === 0 || capped) {
      if (!text.content && capped) text.tell(CAP_FALLBACK);
      // A model that finished without a word (a filtered or truncated answer) is not a reply; one that
      // ends by calling a tool the client declared is (its text may be empty).
      if (!text.content && pending.length === 0) throw new UnavailableError(EMPTY_ANSWER);
      return result(pending);
    }
    messages.push({ role: 'assistant', content: response.content, toolCalls: own });
    for (const record of await runCalls(deps.tools, own, tools, turn)) {
      toolCalls.push(record);
      messages.push({ role: 'tool', toolCallId: record.id, content: record.result });
    }
    // The client's calls of this round wait for the client: the reply ends here, with them pending.
    if (pending.length > 0) return result(pending);
  }
}

/** Runs one round's calls of the server's tools in parallel, telling `scope` as each starts and ends. */
async function runCalls(
  runner: ToolRunner,
  calls: LlmToolCall[],
  offered: ToolDefinition[],
  turn: ToolLoopTurn,
): Promise<ToolCallRecord[]> {
  const { scope, clientId } = turn;
  // What a tool call runs with: the turn's signal and logger, and the client whose tools these are.
  const toolScope: ToolCallScope = {
    signal: scope.signal,
    logger: scope.logger,
    ...(clientId !== undefined ? { clientId } : {}),
  };
  for (const call of calls) {
    const provenance = offered.find((tool) => tool.name === call.name)?.source ?? 'builtin';
    scope.emit({ type: 'tool', phase: 'started', tool: { ...call, provenance } });
  }
  return Promise.all(calls.map((call) => runCall(runner, call, scope, toolScope)));
}

async function runCall(
  runner: ToolRunner,
  call: LlmToolCall,
  scope: ReplyScope,
  toolScope: ToolCallScope,
): Promise<ToolCallRecord> {
  const result = await runner.invoke(call.name, call.arguments, toolScope);
  const record = {
    id: call.id,
    name: call.name,
    arguments: call.arguments,
    result: result.content,
    isError: result.isError,
  };
  const provenance = result.source ?? 'builtin';
  scope.emit({ type: 'tool', phase: 'finished', tool: { ...record, provenance } });
  return record;
}

function addUsage(total: LlmUsage, response: LlmResponse): void {
  total.promptTokens += response.usage.promptTokens;
  total.completionTokens += response.usage.completionTokens;
  total.totalTokens += response.usage.totalTokens;
}
