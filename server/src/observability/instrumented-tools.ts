import { SpanKind } from '@opentelemetry/api';
import type { LlmToolDefinition } from '../assistant/llm.ts';
import type { ToolRunner, ToolRunResult } from '../assistant/tool-runner.ts';
import type { ParleyMetrics } from './metrics.ts';
import { inSpan, markFailed } from './spans.ts';

/** The registry's outcomes; anything else a runner reports is folded into `ok` / `error`. */
const OUTCOMES = new Set([
  'ok',
  'fresh',
  'cached',
  'stale',
  'unavailable',
  'error',
  'invalid',
  'unknown_tool',
  'timeout',
]);

/**
 * Wraps a {@link ToolRunner} with an `execute_tool {name}` span per call and the tool metrics (calls by
 * tool and outcome, latency). The model chooses tool names, so the `tool` label is an enabled tool's name
 * or `unknown`; arguments and results stay off the span (they can carry what the user asked about).
 */
export class InstrumentedToolRunner implements ToolRunner {
  readonly #tools: ToolRunner;
  readonly #metrics: ParleyMetrics;
  readonly #known: Set<string>;

  constructor(deps: { tools: ToolRunner; metrics: ParleyMetrics }) {
    this.#tools = deps.tools;
    this.#metrics = deps.metrics;
    this.#known = new Set(deps.tools.definitions().map((d) => d.name));
  }

  definitions(): LlmToolDefinition[] {
    return this.#tools.definitions();
  }

  invoke(name: string, rawArguments: string, signal: AbortSignal): Promise<ToolRunResult> {
    const tool = this.#known.has(name) ? name : 'unknown';
    const attributes = {
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': name,
      'gen_ai.tool.type': 'function',
    };
    return inSpan(`execute_tool ${name}`, { kind: SpanKind.INTERNAL, attributes }, async (span) => {
      const started = performance.now();
      let outcome = 'error';
      try {
        const result = await this.#tools.invoke(name, rawArguments, signal);
        outcome = outcomeOf(result);
        span.setAttribute('parley.tool.outcome', outcome);
        if (result.isError) markFailed(span, outcome);
        return result;
      } finally {
        this.#metrics.toolCalls.inc({ tool, outcome });
        this.#metrics.toolDuration.observe({ tool }, (performance.now() - started) / 1000);
      }
    });
  }
}

function outcomeOf(result: ToolRunResult): string {
  if (result.outcome && OUTCOMES.has(result.outcome)) return result.outcome;
  return result.isError ? 'error' : 'ok';
}
