import type { z } from 'zod';
import type { ExternalTool, ExternalToolResult } from '../mcp/external-tool.ts';
import { abortAfter, untilAborted } from '../providers/abort.ts';
import type { Tool, ToolParameters, ToolServices } from './define-tool.ts';
import { dropNullOptionals, toolJsonSchemas } from './strict-schema.ts';
import {
  type ToolCallScope,
  type ToolDefinition,
  type ToolResult,
  type ToolRunner,
  type ToolSourceName,
  toolError,
} from './tool-runner.ts';
import { selectTools, type ToolSelection } from './tool-selection.ts';

/** The tools of other processes (MCP servers) as they are now; read on every use, so never stale. */
export interface ExternalToolSet {
  /** The configured servers' names, connected or not (`TOOLS` may name their tools before they connect). */
  readonly servers: readonly string[];
  tools(): readonly ExternalTool[];
}

/** Whether an API-key client may use the tools of a source (its policy, an MCP server's allow-list). */
export type ToolAccess = (clientId: string, source: ToolSourceName) => boolean;

export interface ToolRegistryOptions {
  /** Longest one built-in tool call may take before it is abandoned and the model told so. */
  timeoutMs: number;
  /**
   * What the model may use: built-in names, `mcp:<server>`, `<server>__<tool>`; undefined = all. Entries
   * naming nothing fail construction.
   */
  enabled?: readonly string[] | undefined;
  /** What every call gets besides its signal; its logger also takes the registry's own messages. */
  services: ToolServices;
  /** Longer results are cut, so one chatty tool cannot blow the context budget. Default 16,000 chars. */
  maxResultChars?: number;
  /** Tools offered by MCP servers, beside the built-in ones. */
  external?: ExternalToolSet;
  /** Per-client access to each source; without it every client may use every enabled tool. */
  access?: ToolAccess;
}

interface Entry {
  tool: Tool;
  definition: ToolDefinition;
  /** The zod-derived schema before strict rewriting: it knows which properties are optional. */
  inputSchema: Record<string, unknown>;
}

const BUILTIN: ToolSourceName = 'builtin';
const allowAll: ToolAccess = () => true;

/**
 * The tools the assistant may call: the built-in ones (strict JSON-schema definitions, zod validation)
 * and those of MCP servers (their JSON Schema as given, checked by the MCP source), filtered per calling
 * client. Every call gets a timeout and a size cap, and every failure becomes text the model can read
 * (never internals: those are logged); results say which source answered.
 */
export class ToolRegistry implements ToolRunner {
  readonly #entries = new Map<string, Entry>();
  readonly #services: ToolServices;
  readonly #timeoutMs: number;
  readonly #maxResultChars: number;
  readonly #external: ExternalToolSet | undefined;
  readonly #selection: ToolSelection;
  readonly #access: ToolAccess;
  /** MCP tools offered before, by name → server: a call to one whose server is down answers "unavailable". */
  readonly #seen = new Map<string, string>();

  constructor(tools: readonly Tool[], options: ToolRegistryOptions) {
    this.#services = options.services;
    this.#timeoutMs = options.timeoutMs;
    this.#maxResultChars = options.maxResultChars ?? 16_000;
    this.#external = options.external;
    this.#access = options.access ?? allowAll;
    const names = new Set<string>();
    for (const tool of tools) {
      if (names.has(tool.name)) throw new Error(`two tools are named "${tool.name}"`);
      names.add(tool.name);
    }
    this.#selection = selectTools(options.enabled, names, options.external?.servers ?? []);
    for (const tool of tools.filter((t) => this.#selection.builtin(t.name))) {
      const { strict, input } = toolJsonSchemas(tool.parameters);
      const definition = {
        name: tool.name,
        description: tool.description,
        parameters: strict,
        source: BUILTIN,
      };
      this.#entries.set(tool.name, { tool, definition, inputSchema: input });
    }
    options.services.logger.debug({ tools: [...this.#entries.keys()] }, 'built-in tools enabled');
  }

  /** Definitions of the tools `clientId` may use now (all enabled ones without a client), for the model. */
  definitions(clientId?: string): ToolDefinition[] {
    const builtins = this.#allowed(clientId, BUILTIN) ? [...this.#entries.values()] : [];
    return [
      ...builtins.map(({ definition }) => structuredClone(definition)),
      ...this.#externalTools(clientId).map(externalDefinition),
    ];
  }

  /** Runs one call the model asked for. Never throws: every failure becomes a result the model can read. */
  async invoke(name: string, rawArguments: string, scope: ToolCallScope = {}): Promise<ToolResult> {
    const signal = scope.signal ?? new AbortController().signal;
    const entry = this.#allowed(scope.clientId, BUILTIN) ? this.#entries.get(name) : undefined;
    if (entry) {
      const input = parseArguments(entry, rawArguments);
      // The request's logger (its ids on every line) when the caller has one.
      const services = scope.logger ? { ...this.#services, logger: scope.logger } : this.#services;
      const result = input.ok
        ? await this.#runBuiltin(entry.tool, input.value, signal, services)
        : toolError(input.message, 'invalid');
      return { ...result, source: BUILTIN };
    }
    const external = this.#externalTools(scope.clientId).find((tool) => tool.name === name);
    if (external) return this.#runExternal(external, rawArguments, signal);
    return this.#missing(name, scope.clientId);
  }

  #allowed(clientId: string | undefined, source: ToolSourceName): boolean {
    return clientId === undefined || this.#access(clientId, source);
  }

  /** The MCP tools enabled and allowed for `clientId` now; built-in names win a clash. */
  #externalTools(clientId: string | undefined): ExternalTool[] {
    const tools = (this.#external?.tools() ?? []).filter(
      (tool) => this.#selection.external(tool) && !this.#entries.has(tool.name),
    );
    for (const tool of tools) this.#seen.set(tool.name, tool.source.server);
    return tools.filter((tool) => this.#allowed(clientId, `mcp:${tool.source.server}`));
  }

  #missing(name: string, clientId: string | undefined): ToolResult {
    const server = this.#seen.get(name);
    if (server !== undefined && this.#allowed(clientId, `mcp:${server}`)) {
      return {
        ...toolError(
          `${name} is unavailable: its MCP server "${server}" is not connected right now. Tell the user; do not guess its result.`,
          'unavailable',
        ),
        source: `mcp:${server}`,
      };
    }
    const available = this.definitions(clientId)
      .map((d) => d.name)
      .join(', ');
    return toolError(
      `There is no tool named "${name}". Available tools: ${available || 'none'}.`,
      'unknown_tool',
    );
  }

  async #runBuiltin(
    tool: Tool,
    input: unknown,
    caller: AbortSignal,
    services: ToolServices,
  ): Promise<ToolResult> {
    const deadline = abortAfter(this.#timeoutMs);
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
      deadline.clear();
    }
  }

  /**
   * An MCP tool checks its arguments against its JSON Schema and applies its server's timeout (the
   * registry's unless the server's config sets one) itself; the registry adds the JSON parsing, the
   * turn's cancellation, the size cap and a guard against a source that breaks its promise not to throw.
   */
  async #runExternal(tool: ExternalTool, rawArguments: string, signal: AbortSignal): Promise<ToolResult> {
    const source: ToolSourceName = `mcp:${tool.source.server}`;
    const args = parseJson(rawArguments);
    if (args === undefined) return { ...toolError(notJson(tool.name), 'invalid'), source };
    try {
      const result = await untilAborted(tool.call(args, { signal }), signal);
      return { ...this.#bounded(fromExternal(result)), source };
    } catch (err) {
      if (signal.aborted) return { ...toolError(`The call to ${tool.name} was cancelled.`), source };
      this.#services.logger.error({ err, tool: tool.name }, 'external tool failed');
      const text = `${tool.name} failed. Tell the user it is not working right now; do not guess its result.`;
      return { ...toolError(text), source };
    }
  }

  /** Cuts an over-long result, so one chatty tool cannot blow the context budget. */
  #bounded(result: ToolResult): ToolResult {
    if (result.content.length <= this.#maxResultChars) return result;
    return { ...result, content: `${result.content.slice(0, this.#maxResultChars)}… [result truncated]` };
  }
}

/** An MCP tool as the model sees it: the server's own JSON Schema, so not in strict mode. */
function externalDefinition(tool: ExternalTool): ToolDefinition {
  return {
    name: tool.name,
    description: tool.description,
    parameters: structuredClone(tool.inputSchema),
    strict: false,
    source: `mcp:${tool.source.server}`,
  };
}

function fromExternal(result: ExternalToolResult): ToolResult {
  // The registry reports a cancelled call as an error, for built-in tools too.
  const outcome = result.outcome === 'cancelled' ? 'error' : result.outcome;
  return { content: result.content, isError: result.isError, outcome };
}

type Parsed = { ok: true; value: unknown } | { ok: false; message: string };

/** One JSON value from the model's argument text, or undefined; models send "" for no arguments. */
function parseJson(rawArgs: string): unknown {
  try {
    return rawArgs.trim() === '' ? {} : JSON.parse(rawArgs);
  } catch {
    return undefined;
  }
}

function notJson(name: string): string {
  return `The arguments for ${name} are not valid JSON. Send one JSON object.`;
}

function parseArguments(entry: Entry, rawArgs: string): Parsed {
  const name = entry.tool.name;
  const json = parseJson(rawArgs);
  if (json === undefined) return { ok: false, message: notJson(name) };
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
