import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { context, propagation, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { startTracing, tracingMode } from './tracing.ts';

afterEach(() => {
  vi.unstubAllEnvs();
  trace.disable();
  context.disable();
  propagation.disable();
});

describe('tracingMode', () => {
  it.each([
    [{}, 'propagate'],
    [{ OTEL_SDK_DISABLED: 'true' }, 'off'],
    [{ OTEL_SDK_DISABLED: 'TRUE', OTEL_TRACES_EXPORTER: 'otlp' }, 'off'],
    [{ OTEL_TRACES_EXPORTER: 'otlp' }, 'export'],
    [{ OTEL_TRACES_EXPORTER: 'console' }, 'export'],
    [{ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }, 'propagate'],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }, 'export'],
    [{ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' }, 'export'],
    [{ OTEL_SDK_DISABLED: 'false', OTEL_EXPORTER_OTLP_ENDPOINT: ' ' }, 'propagate'],
  ])('%j → %s', (env, mode) => {
    expect(tracingMode(env)).toBe(mode);
  });
});

describe('startTracing', () => {
  it('honours an incoming traceparent without exporting when nothing is configured', async () => {
    const tracing = await startTracing({});
    expect(tracing.mode).toBe('propagate');
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const extracted = propagation.extract(ROOT_CONTEXT, { traceparent });
    // Across an await: the context manager (AsyncLocalStorage) carries it.
    const seen = await context.with(extracted, async () => {
      await new Promise((resolve) => setImmediate(resolve));
      return trace.getActiveSpan()?.spanContext().traceId;
    });
    expect(seen).toBe('0af7651916cd43dd8448eb211c80319c');
  });

  it('exports spans over OTLP to the endpoint named in the environment, as parley-server', async () => {
    const bodies: string[] = [];
    const collector = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      req.on('end', () => {
        bodies.push(`${req.url} ${body}`);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    collector.listen(0, '127.0.0.1');
    await once(collector, 'listening');
    const env = {
      OTEL_SDK_DISABLED: 'false',
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(collector.address() as AddressInfo).port}`,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_LOG_LEVEL: 'none',
    };
    // The SDK reads process.env itself; stubbed for this test only.
    for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
    try {
      const tracing = await startTracing(process.env);
      expect(tracing.mode).toBe('export');
      trace.getTracer('test').startActiveSpan('probe', (span) => span.end());
      await tracing.shutdown();
      expect(bodies).toHaveLength(1);
      expect(bodies[0]).toMatch(/^\/v1\/traces /);
      expect(bodies[0]).toContain('"probe"');
      expect(bodies[0]).toContain('"parley-server"');
    } finally {
      collector.close();
    }
  });
});
