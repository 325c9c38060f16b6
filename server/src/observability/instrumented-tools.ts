import { SpanKind } from '@opentelemetry/api';
import type {
  ToolCallScope,
  ToolDefinition,
  ToolOutcome,
  ToolResult,
  ToolRunner,
} from '../tools/tool-runner.ts';
import { inSpan, markFailed } from '../tracing/spans.ts';
import { BoundedLabel, type ParleyMetrics } from './metrics.ts';

/**
 * Wraps a {@link ToolRunner} with an `execute_tool {name}` span per call and the tool metrics (calls by
 * tool and outcome, latency). The model chooses tool names, so the `tool` label is the name of a tool the
 * registry knows (built-in or offered by an MCP server) or `unknown`; arguments and results stay off the
 * span (they can carry what the user asked about), the answering source goes on it.
 */
export class InstrumentedToolRunner implements ToolRunner {
  readonly #tools: ToolRunner;
  readonly #metrics: ParleyMetrics;
  // MCP servers add tools at run time: the names are theirs, so the series are bounded.
  readonly #labels = new BoundedLabel(200);

  constructor(deps: { tools: ToolRunner; metrics: ParleyMetrics }) {
    this.#tools = deps.tools;
    this.#metrics = deps.metrics;
  }

  definitions(clientId?: string): ToolDefinition[] {
    return this.#tools.definitions(clientId);
  }

  invoke(name: string, rawArguments: string, scope?: ToolCallScope): Promise<ToolResult> {
    const attributes = {
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': name,
      'gen_ai.tool.type': 'function',
    };
    return inSpan(`execute_tool ${name}`, { kind: SpanKind.INTERNAL, attributes }, async (span) => {
      const started = performance.now();
      let outcome: ToolOutcome = 'error';
      try {
        const result = await this.#tools.invoke(name, rawArguments, scope);
        outcome = result.outcome;
        span.setAttribute('parley.tool.outcome', outcome);
        if (result.source) span.setAttribute('parley.tool.source', result.source);
        if (result.isError) markFailed(span, outcome);
        return result;
      } finally {
        // A name the registry did not recognise is the model's invention: never a label of its own.
        const tool = outcome === 'unknown_tool' ? 'unknown' : this.#labels.admit(name);
        this.#metrics.toolCalls.inc({ tool, outcome });
        this.#metrics.toolDuration.observe({ tool }, (performance.now() - started) / 1000);
      }
    });
  }
}
