import type { Logger } from '@parley/logger';
import type { z } from 'zod';
import type { LlmToolDefinition } from '../assistant/llm.ts';
import type { ToolRunner } from '../assistant/tool-runner.ts';
import type { Tool, ToolContext, ToolOutcome, ToolParameters, ToolResult } from './define-tool.ts';
import { dropNullOptionals, toolJsonSchemas } from './strict-schema.ts';

export interface ToolRegistryOptions {
  /** Longest one tool call may take before it is abandoned and the model told so. */
  timeoutMs: number;
  /** Names of the tools the model may use; undefined = all. Unknown names fail construction. */
  enabled?: readonly string[] | undefined;
  /** For start-up messages; calls log on `ctx.logger`, which carries the request's ids. */
  logger: Logger;
  /** Longer results are cut, so one chatty tool cannot blow the context budget. Default 16,000 chars. */
  maxResultChars?: number;
}

/** What the model reads back from a tool call, and how the call ended. */
export interface ToolInvocation {
  content: string;
  isError: boolean;
  outcome: ToolOutcome;
}

interface Entry {
  tool: Tool;
  definition: LlmToolDefinition;
  /** The zod-derived schema before strict rewriting: it knows which properties are optional. */
  inputSchema: Record<string, unknown>;
}

/**
 * The tools the assistant may call. Checks names once, gives the model strict JSON-schema definitions, and
 * runs calls: arguments parsed and validated, a timeout applied, and every failure turned into text the
 * model can read (never internals: those are logged).
 */
export class ToolRegistry {
  readonly #entries = new Map<string, Entry>();
  readonly #timeoutMs: number;
  readonly #maxResultChars: number;

  constructor(tools: readonly Tool[], options: ToolRegistryOptions) {
    this.#timeoutMs = options.timeoutMs;
    this.#maxResultChars = options.maxResultChars ?? 16_000;
    const names = new Set<string>();
    for (const tool of tools) {
      if (names.has(tool.name)) throw new Error(`two tools are named "${tool.name}"`);
      names.add(tool.name);
    }
    const unknown = (options.enabled ?? []).filter((name) => !names.has(name));
    if (unknown.length > 0) throw new Error(`unknown tools enabled: ${unknown.join(', ')}`);
    const enabled = new Set(options.enabled ?? names);
    for (const tool of tools.filter((t) => enabled.has(t.name))) {
      const { strict, input } = toolJsonSchemas(tool.parameters);
      const definition = { name: tool.name, description: tool.description, parameters: strict };
      this.#entries.set(tool.name, { tool, definition, inputSchema: input });
    }
    options.logger.debug({ tools: [...this.#entries.keys()] }, 'tools enabled');
  }

  /** Definitions of the enabled tools, for the model. */
  definitions(): LlmToolDefinition[] {
    return [...this.#entries.values()].map(({ definition }) => structuredClone(definition));
  }

  /** The assistant's view of this registry, with the context every call gets (the signal comes per call). */
  runner(context: Omit<ToolContext, 'signal'>): ToolRunner {
    return {
      definitions: () => this.definitions(),
      invoke: (name, rawArguments, signal) => this.invoke(name, rawArguments, { ...context, signal }),
    };
  }

  /** Runs one call the model asked for. Never throws: every failure becomes a result the model can read. */
  async invoke(name: string, rawArgs: string, ctx: ToolContext): Promise<ToolInvocation> {
    const entry = this.#entries.get(name);
    if (!entry) {
      const available = [...this.#entries.keys()].join(', ') || 'none';
      return failed('unknown_tool', `There is no tool named "${name}". Available tools: ${available}.`);
    }
    const input = parseArguments(entry, rawArgs);
    if (!input.ok) return failed('invalid', input.message);
    return this.#run(entry.tool, input.value, ctx);
  }

  async #run(tool: Tool, input: unknown, ctx: ToolContext): Promise<ToolInvocation> {
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), this.#timeoutMs);
    const signal = AbortSignal.any([ctx.signal, deadline.signal]);
    try {
      // Started inside a promise so that a tool throwing synchronously is caught like any other failure.
      const work = Promise.resolve().then(() =>
        tool.execute(input as z.output<ToolParameters>, { ...ctx, signal }),
      );
      const result = await untilAborted(work, signal);
      return this.#toInvocation(result);
    } catch (err) {
      if (ctx.signal.aborted) return failed('error', `The call to ${tool.name} was cancelled.`);
      if (deadline.signal.aborted) {
        ctx.logger.warn({ tool: tool.name, timeoutMs: this.#timeoutMs }, 'tool timed out');
        const seconds = Math.round(this.#timeoutMs / 100) / 10;
        return failed(
          'timeout',
          `${tool.name} did not answer within ${seconds} s and was stopped. Tell the user it timed out; do not guess its result.`,
        );
      }
      ctx.logger.error({ err, tool: tool.name }, 'tool failed');
      return failed(
        'error',
        `${tool.name} failed. Tell the user it is not working right now; do not guess its result.`,
      );
    } finally {
      clearTimeout(timer);
    }
  }

  #toInvocation(result: ToolResult | string): ToolInvocation {
    const answer: ToolResult = typeof result === 'string' ? { content: result } : result;
    const text = typeof answer.content === 'string' ? answer.content : JSON.stringify(answer.content);
    const isError = answer.isError === true;
    const content =
      text.length > this.#maxResultChars
        ? `${text.slice(0, this.#maxResultChars)}… [result truncated]`
        : text;
    return { content, isError, outcome: answer.outcome ?? (isError ? 'error' : 'ok') };
  }
}

type Parsed = { ok: true; value: unknown } | { ok: false; message: string };

function parseArguments(entry: Entry, rawArgs: string): Parsed {
  const name = entry.tool.name;
  let json: unknown;
  try {
    // Models send "" for a call without arguments.
    json = rawArgs.trim() === '' ? {} : JSON.parse(rawArgs);
  } catch {
    return { ok: false, message: `The arguments for ${name} are not valid JSON. Send one JSON object.` };
  }
  const parsed = entry.tool.parameters.safeParse(dropNullOptionals(json, entry.inputSchema));
  if (parsed.success) return { ok: true, value: parsed.data };
  return { ok: false, message: describeIssues(name, parsed.error.issues) };
}

function describeIssues(name: string, issues: readonly z.core.$ZodIssue[]): string {
  const lines = issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    return `- ${path ? `${path}: ` : ''}${issue.message}`;
  });
  return `Invalid arguments for ${name}:\n${lines.join('\n')}\nFix the arguments and call ${name} again.`;
}

function failed(outcome: ToolOutcome, content: string): ToolInvocation {
  return { content, isError: true, outcome };
}

/** Rejects once `signal` aborts, so a tool that ignores its signal still cannot hold the turn. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
