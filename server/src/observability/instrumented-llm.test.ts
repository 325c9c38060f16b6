import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { Registry } from 'prom-client';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { ScriptedLlm } from '../assistant/scripted-llm.ts';
import { UnavailableError } from '../errors/app-error.ts';
import { InstrumentedLlm } from './instrumented-llm.ts';
import { createMetrics, type ParleyMetrics } from './metrics.ts';
import { installTestTracing } from './test-tracing.ts';

const tracing = installTestTracing();
afterAll(() => tracing.uninstall());

const user = [{ role: 'user' as const, content: 'secret question' }];

describe('InstrumentedLlm', () => {
  let metrics: ParleyMetrics;
  beforeEach(() => {
    tracing.reset();
    metrics = createMetrics(new Registry());
  });

  it('records a chat span with gen_ai attributes and token usage, without message text', async () => {
    const scripted = new ScriptedLlm([{ reply: 'hi', usage: { promptTokens: 12, completionTokens: 3 } }]);
    const llm = new InstrumentedLlm({ llm: scripted, defaultModel: 'gpt-test', metrics });
    await llm.complete({ messages: user, maxTokens: 50 });
    const span = tracing.span('chat gpt-test');
    expect(span.kind).toBe(SpanKind.CLIENT);
    expect(span.attributes).toEqual({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-test',
      'gen_ai.request.max_tokens': 50,
      'gen_ai.response.model': 'scripted',
      'gen_ai.usage.input_tokens': 12,
      'gen_ai.usage.output_tokens': 3,
      'gen_ai.response.finish_reasons': ['stop'],
    });
    expect(JSON.stringify(span.attributes)).not.toContain('secret');
    const tokens = (await metrics.modelTokens.get()).values.map((v) => [v.labels.kind, v.value]);
    expect(tokens).toEqual([
      ['prompt', 12],
      ['completion', 3],
    ]);
  });

  it('counts a failed call by its error code and marks the span failed', async () => {
    const scripted = new ScriptedLlm([{ error: new UnavailableError('model down') }]);
    const llm = new InstrumentedLlm({ llm: scripted, defaultModel: 'gpt-test', metrics });
    await expect(llm.complete({ messages: user })).rejects.toThrow('model down');
    const span = tracing.span('chat gpt-test');
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'model down' });
    expect(span.attributes['error.type']).toBe('unavailable');
    const calls = (await metrics.modelCalls.get()).values;
    expect(calls).toEqual([
      expect.objectContaining({ labels: { model: 'gpt-test', outcome: 'unavailable' } }),
    ]);
  });

  it('labels a conversation model it has not seen succeed as "other" when it fails', async () => {
    const scripted = new ScriptedLlm([{ error: new UnavailableError('no such model') }, { reply: 'ok' }]);
    const llm = new InstrumentedLlm({ llm: scripted, defaultModel: 'gpt-test', metrics });
    await expect(llm.complete({ messages: user, model: 'typo-model' })).rejects.toThrow();
    await llm.complete({ messages: user, model: 'custom-model' });
    const labels = (await metrics.modelCalls.get()).values.map((v) => v.labels);
    expect(labels).toEqual([
      { model: 'other', outcome: 'unavailable' },
      { model: 'custom-model', outcome: 'ok' },
    ]);
    expect(tracing.spans().map((s) => s.name)).toEqual(['chat typo-model', 'chat custom-model']);
  });
});
