import { SpanStatusCode } from '@opentelemetry/api';
import { Registry } from 'prom-client';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { ToolRunner } from '../tools/tool-runner.ts';
import { InstrumentedToolRunner } from './instrumented-tools.ts';
import { createMetrics, type ParleyMetrics } from './metrics.ts';
import { installTestTracing } from './test-tracing.ts';

const tracing = installTestTracing();
afterAll(() => tracing.uninstall());

/** Answers `get_weather` as the registry would for a cached value, and everything else as unknown. */
const runner: ToolRunner = {
  definitions: () => [{ name: 'get_weather', description: 'weather', parameters: {} }],
  invoke: async (name) =>
    name === 'get_weather'
      ? { content: '{"city":"Oslo"}', isError: false, outcome: 'cached' }
      : { content: 'no such tool', isError: true, outcome: 'unknown_tool' },
};

describe('InstrumentedToolRunner', () => {
  let metrics: ParleyMetrics;
  beforeEach(() => {
    tracing.reset();
    metrics = createMetrics(new Registry());
  });

  it('records an execute_tool span and counts the call by tool and outcome', async () => {
    const tools = new InstrumentedToolRunner({ tools: runner, metrics });
    const signal = new AbortController().signal;
    expect(await tools.invoke('get_weather', '{"location":"Oslo"}', { signal })).toMatchObject({
      outcome: 'cached',
    });
    const span = tracing.span('execute_tool get_weather');
    expect(span.attributes).toEqual({
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'get_weather',
      'gen_ai.tool.type': 'function',
      'parley.tool.outcome': 'cached',
    });
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    const calls = (await metrics.toolCalls.get()).values;
    expect(calls).toEqual([
      expect.objectContaining({ labels: { tool: 'get_weather', outcome: 'cached' }, value: 1 }),
    ]);
  });

  it('labels a tool the model made up as "unknown" and marks its span failed', async () => {
    const tools = new InstrumentedToolRunner({ tools: runner, metrics });
    await tools.invoke('rm_rf', '{}', { signal: new AbortController().signal });
    expect(tracing.span('execute_tool rm_rf').status.code).toBe(SpanStatusCode.ERROR);
    const calls = (await metrics.toolCalls.get()).values;
    expect(calls).toEqual([
      expect.objectContaining({ labels: { tool: 'unknown', outcome: 'unknown_tool' } }),
    ]);
  });

  it('puts the answering source on the span and labels an MCP tool by its name', async () => {
    const mcp: ToolRunner = {
      definitions: () => [],
      invoke: async () => ({ content: 'ok', isError: false, outcome: 'ok', source: 'mcp:docs' }),
    };
    const tools = new InstrumentedToolRunner({ tools: mcp, metrics });
    await tools.invoke('docs__search', '{}', { clientId: 'cli' });
    expect(tracing.span('execute_tool docs__search').attributes['parley.tool.source']).toBe('mcp:docs');
    const calls = (await metrics.toolCalls.get()).values;
    expect(calls).toEqual([expect.objectContaining({ labels: { tool: 'docs__search', outcome: 'ok' } })]);
  });
});
