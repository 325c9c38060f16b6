import type { Logger } from '@parley/logger';
import type { z } from 'zod';
import { untilAborted } from '../providers/abort.ts';
import type { Tool, ToolParameters, ToolServices } from './define-tool.ts';
import { dropNullOptionals, toolJsonSchemas } from './strict-schema.ts';
import { type ToolDefinition, type ToolResult, type ToolRunner, toolError } from './tool-runner.ts';

export interface ToolRegistryOptions {
  /** Longest one tool call may take before it is abandoned and the model told so. */
  timeoutMs: number;
  /** Names of the tools the model may use; undefined = all. Unknown names fail construction. */
  enabled?: readonly string[] | undefined;
  /** What every call gets besides its signal; its logger also takes the registry's own messages. */
  services: ToolServices;
  /** Longer results are cut, so one chatty tool cannot blow the context budget. Default 16,000 chars. */
  maxResultChars?: number;
}

interface Entry {
  tool: Tool;
  definition: ToolDefinition;
  /** The zod-derived schema before strict rewriting: it knows which properties are optional. */
  inputSchema: Record<string, unknown>;
}

/**
 * The tools the assistant may call. Checks names once, gives the model strict JSON-schema definitions, and
 * runs calls: arguments parsed and validated, a timeout applied, and every failure turned into text the
 * model can read (never internals: those are logged).
 */
export class ToolRegistry implements ToolRunner {
  readonly #entries = new Map<string, Entry>();
  readonly #services: ToolServices;
  readonly #timeoutMs: number;
  readonly #maxResultChars: number;

  constructor(tools: readonly Tool[], options: ToolRegistryOptions) {
    this.#services = options.services;
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
    options.services.logger.debug({ tools: [...this.#entries.keys()] }, 'tools enabled');
  }

  /** Definitions of the enabled tools, for the model. */
  definitions(): ToolDefinition[] {
    return [...this.#entries.values()].map(({ definition }) => structuredClone(definition));
  }

  /** Runs one call the model asked for. Never throws: every failure becomes a result the model can read. */
  async invoke(
    name: string,
    rawArguments: string,
    signal?: AbortSignal,
    logger?: Logger,
  ): Promise<ToolResult> {
    const entry = this.#entries.get(name);
    if (!entry) {
      const available = [...this.#entries.keys()].join(', ') || 'none';
      return toolError(`There is no tool named "${name}". Available tools: ${available}.`, 'unknown_tool');
    }
    const input = parseArguments(entry, rawArguments);
    if (!input.ok) return toolError(input.message, 'invalid');
    const services = logger ? { ...this.#services, logger } : this.#services;
    return this.#run(entry.tool, input.value, signal ?? new AbortController().signal, services);
  }

  async #run(tool: Tool, input: unknown, caller: AbortSignal, services: ToolServices): Promise<ToolResult> {
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), this.#timeoutMs);
    const signal = AbortSignal.any([caller, deadline.signal]);
    const { logger } = services;
    try {
      // Started inside a promise so that a tool throwing synchronously is caught like any other failure.
      const work = Promise.resolve().then(() =>
        tool.execute(input as z.output<ToolParameters>, { ...services, signal }),
      );
      return this.#bounded(await untilAborted(work, signal));
    } catch (err) {
      if (caller.aborted) return toolError(`The call to ${tool.name} was cancelled.`);
      if (deadline.signal.aborted) {
        logger.warn({ tool: tool.name, timeoutMs: this.#timeoutMs }, 'tool timed out');
        const seconds = Math.round(this.#timeoutMs / 100) / 10;
        return toolError(
          `${tool.name} did not answer within ${seconds} s and was stopped. Tell the user it timed out; do not guess its result.`,
          'timeout',
        );
      }
      logger.error({ err, tool: tool.name }, 'tool failed');
      return toolError(
        `${tool.name} failed. Tell the user it is not working right now; do not guess its result.`,
      );
    } finally {
      clearTimeout(timer);
    }
  }

  /** Cuts an over-long result, so one chatty tool cannot blow the context budget. */
  #bounded(result: ToolResult): ToolResult {
    if (result.content.length <= this.#maxResultChars) return result;
    return { ...result, content: `${result.content.slice(0, this.#maxResultChars)}… [result truncated]` };
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
