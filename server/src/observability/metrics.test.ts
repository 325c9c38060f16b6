import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { BreakerBoard, modelReadiness } from './breakers.ts';
import { BoundedLabel, createMetrics } from './metrics.ts';

describe('createMetrics', () => {
  it('registers the Parley metrics and the process defaults on the given registry only', async () => {
    const registry = new Registry();
    createMetrics(registry);
    const names = registry.getMetricsAsArray().map((m) => m.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'parley_rpc_requests_total',
        'parley_rpc_duration_seconds',
        'parley_model_calls_total',
        'parley_model_duration_seconds',
        'parley_model_tokens_total',
        'parley_tool_calls_total',
        'parley_tool_duration_seconds',
        'parley_cache_requests_total',
        'parley_circuit_breaker_state',
        'parley_session_lookups_total',
        'parley_session_store_fallbacks_total',
        'parley_process_cpu_user_seconds_total',
      ]),
    );
    expect(names.every((name) => name.startsWith('parley_'))).toBe(true);
    expect(() => createMetrics(new Registry())).not.toThrow();
  });

  it('refuses a second set of metrics on the same registry', () => {
    const registry = new Registry();
    createMetrics(registry);
    expect(() => createMetrics(registry)).toThrow(/already been registered/);
  });
});

describe('BoundedLabel', () => {
  it('keeps the first values and folds the rest into "other"', () => {
    const label = new BoundedLabel(2, ['a']);
    expect(label.admit('b')).toBe('b');
    expect(label.admit('c')).toBe('other');
    expect(label.admit('a')).toBe('a');
  });

  it('does not admit a value on peek', () => {
    const label = new BoundedLabel(5);
    expect(label.peek('x')).toBe('other');
    expect(label.admit('x')).toBe('x');
    expect(label.peek('x')).toBe('x');
  });
});

describe('BreakerBoard', () => {
  it('starts every breaker closed and encodes states for the gauge', async () => {
    const metrics = createMetrics(new Registry());
    const board = new BreakerBoard(metrics, ['model', 'weather']);
    board.set('weather', 'open');
    board.set('model', 'half_open');
    const values = (await metrics.breakerState.get()).values.map((v) => [v.labels.breaker, v.value]);
    expect(values).toEqual([
      ['model', 2],
      ['weather', 1],
    ]);
    expect(board.state('weather')).toBe('open');
  });
});

describe('modelReadiness', () => {
  it('is unready without a model, and reports an open circuit without failing readiness', () => {
    expect(modelReadiness(false, 'closed')).toMatchObject({ ok: false });
    expect(modelReadiness(false, 'closed').optional).toBeUndefined();
    expect(modelReadiness(true, 'closed')).toEqual({ ok: true, detail: 'circuit closed' });
    expect(modelReadiness(true, 'open')).toMatchObject({ ok: false, optional: true });
  });
});
