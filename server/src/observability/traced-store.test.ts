import { context, SpanKind, SpanStatusCode, TraceFlags, trace } from '@opentelemetry/api';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { EmbeddedConversationStore } from '../conversations/embedded-conversation-store.ts';
import { installTestTracing } from './test-tracing.ts';
import { tracedStore } from './traced-store.ts';

const tracing = installTestTracing();
afterAll(() => tracing.uninstall());

const owner = { clientId: 'c', userId: 'u' };

describe('tracedStore', () => {
  beforeEach(() => tracing.reset());

  it('wraps each store call in a client span and returns what the store returns', async () => {
    const store = tracedStore(new EmbeddedConversationStore({ path: ':memory:' }), 'sqlite');
    const created = await store.create({ owner, title: 't', platform: '', chatId: '' });
    expect(await store.get(created.id, owner)).toMatchObject({ id: created.id });
    await store.ping();
    expect(tracing.spans().map((s) => s.name)).toEqual(['store.create', 'store.get']);
    const span = tracing.span('store.get');
    expect(span.kind).toBe(SpanKind.CLIENT);
    expect(span.attributes).toEqual({ 'db.system.name': 'sqlite', 'db.operation.name': 'get' });
    await store.close();
  });

  it('makes no span inside a trace that is not recorded, and still returns what the store returns', async () => {
    const store = tracedStore(new EmbeddedConversationStore({ path: ':memory:' }), 'sqlite');
    // What an incoming traceparent that was not sampled (or tracing without an SDK) leaves active.
    const unsampled = trace.wrapSpanContext({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      traceFlags: TraceFlags.NONE,
    });
    const created = await context.with(trace.setSpan(context.active(), unsampled), () =>
      store.create({ owner, title: 't', platform: '', chatId: '' }),
    );
    expect(await store.get(created.id, owner)).toMatchObject({ id: created.id });
    expect(tracing.spans().map((s) => s.name)).toEqual(['store.get']);
    await store.close();
  });

  it('marks the span failed when the store throws', async () => {
    const store = tracedStore(new EmbeddedConversationStore({ path: ':memory:' }), 'sqlite');
    await expect(store.setTitle('missing', 'x')).rejects.toThrow();
    expect(tracing.span('store.setTitle').status.code).toBe(SpanStatusCode.ERROR);
    await store.close();
  });
});
