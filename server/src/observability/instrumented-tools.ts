import { SpanKind } from '@opentelemetry/api';
import type { Logger } from '@parley/logger';
import type { ToolDefinition, ToolOutcome, ToolResult, ToolRunner } from '../tools/tool-runner.ts';
import { inSpan, markFailed } from '../tracing/spans.ts';
import type { ParleyMetrics } from './metrics.ts';

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

  definitions(): ToolDefinition[] {
    return this.#tools.definitions();
  }

  invoke(name: string, rawArguments: string, signal?: AbortSignal, logger?: Logger): Promise<ToolResult> {
    const tool = this.#known.has(name) ? name : 'unknown';
    const attributes = {
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': name,
      'gen_ai.tool.type': 'function',
    };
    return inSpan(`execute_tool ${name}`, { kind: SpanKind.INTERNAL, attributes }, async (span) => {
      const started = performance.now();
      let outcome: ToolOutcome = 'error';
      try {
        const result = await this.#tools.invoke(name, rawArguments, signal, logger);
        outcome = result.outcome;
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
