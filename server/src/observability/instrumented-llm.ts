import { type Attributes, SpanKind } from '@opentelemetry/api';
import type { Llm, LlmRequest, LlmResponse } from '../assistant/llm.ts';
import { isAppError } from '../errors/app-error.ts';
import { inSpan } from '../tracing/spans.ts';
import { BoundedLabel, type ParleyMetrics } from './metrics.ts';

export interface InstrumentedLlmDeps {
  llm: Llm;
  /** The configured model, used when a request names none (the span name and the `model` label). */
  defaultModel: string;
  metrics: ParleyMetrics;
  /** `gen_ai.provider.name`; every endpoint we speak to is OpenAI-compatible. */
  provider?: string;
}

/** A conversation may name its own model; beyond this many distinct names the label reads `other`. */
const MAX_MODEL_LABELS = 20;

/**
 * Wraps an {@link Llm} with a `chat {model}` client span (OpenTelemetry gen_ai conventions, token usage
 * included) and the model metrics: calls by outcome, latency, prompt and completion tokens. Message text
 * never goes on the span.
 */
export class InstrumentedLlm implements Llm {
  readonly #deps: InstrumentedLlmDeps;
  readonly #models: BoundedLabel;

  constructor(deps: InstrumentedLlmDeps) {
    this.#deps = deps;
    this.#models = new BoundedLabel(MAX_MODEL_LABELS, [deps.defaultModel]);
  }

  get configured(): boolean {
    return this.#deps.llm.configured;
  }

  complete(request: LlmRequest): Promise<LlmResponse> {
    const model = request.model ?? this.#deps.defaultModel;
    const attributes: Attributes = {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': this.#deps.provider ?? 'openai',
      'gen_ai.request.model': model,
      ...(request.maxTokens === undefined ? {} : { 'gen_ai.request.max_tokens': request.maxTokens }),
    };
    return inSpan(`chat ${model}`, { kind: SpanKind.CLIENT, attributes }, async (span) => {
      const started = performance.now();
      try {
        const response = await this.#deps.llm.complete(request);
        span.setAttributes({
          'gen_ai.response.model': response.model,
          'gen_ai.usage.input_tokens': response.usage.promptTokens,
          'gen_ai.usage.output_tokens': response.usage.completionTokens,
          'gen_ai.response.finish_reasons': [response.toolCalls.length > 0 ? 'tool_calls' : 'stop'],
        });
        this.#record(this.#models.admit(model), 'ok', started, response);
        return response;
      } catch (err) {
        // An unheard-of model that fails (a typo, say) must not claim one of the bounded label slots.
        this.#record(this.#models.peek(model), isAppError(err) ? err.code : 'error', started);
        throw err;
      }
    });
  }

  #record(model: string, outcome: string, started: number, response?: LlmResponse): void {
    const { metrics } = this.#deps;
    metrics.modelCalls.inc({ model, outcome });
    metrics.modelDuration.observe({ model }, (performance.now() - started) / 1000);
    if (!response) return;
    metrics.modelTokens.inc({ model, kind: 'prompt' }, response.usage.promptTokens);
    metrics.modelTokens.inc({ model, kind: 'completion' }, response.usage.completionTokens);
  }
}
