import { Writable } from 'node:stream';
import { type Context, type ContextManager, context, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from './index.ts';

/**
 * The smallest context manager that makes `context.with` work synchronously; this package depends on
 * the OpenTelemetry API only, and the AsyncLocalStorage manager lives with the SDK.
 */
class StackContextManager implements ContextManager {
  #current: Context = ROOT_CONTEXT;
  active = () => this.#current;
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    ctx: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    const previous = this.#current;
    this.#current = ctx;
    try {
      return fn.call(thisArg, ...args);
    } finally {
      this.#current = previous;
    }
  }
  bind = <T>(_ctx: Context, target: T): T => target;
  enable = () => this;
  disable = () => this;
}

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write: (chunk, _, done) => done(void lines.push(JSON.parse(String(chunk)))),
  });
  return { lines, logger: createLogger({ name: 'test', level: 'info', pretty: false, destination }) };
}

describe('createLogger', () => {
  beforeAll(() => context.setGlobalContextManager(new StackContextManager()));
  afterAll(() => context.disable());

  it('adds the active span’s trace and span ids to every line, and nothing outside a span', () => {
    const { lines, logger } = capture();
    const span = trace.wrapSpanContext({
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      traceFlags: 1,
    });
    context.with(trace.setSpan(ROOT_CONTEXT, span), () => logger.child({ requestId: 'r1' }).info('inside'));
    logger.info('outside');
    expect(lines[0]).toMatchObject({
      msg: 'inside',
      requestId: 'r1',
      trace_id: '0af7651916cd43dd8448eb211c80319c',
      span_id: 'b7ad6b7169203331',
    });
    expect(lines[1]).not.toHaveProperty('trace_id');
  });

  it('redacts secrets and chat content', () => {
    const { lines, logger } = capture();
    logger.info(
      { apiKey: 'sk-1', req: { token: 't' }, content: 'my diary', turn: { messages: ['hi'] } },
      'x',
    );
    expect(JSON.stringify(lines[0])).not.toMatch(/sk-1|"t"|diary|hi"/);
  });
});
