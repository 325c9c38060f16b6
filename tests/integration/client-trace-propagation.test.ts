import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { trace } from '@opentelemetry/api';
import { collectTurn, createChatClient, createChatStreamClient } from '@parley/rpc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installTestTracing, type TestTracing } from '../../server/src/observability/test-tracing.ts';

// Every client built on @parley/rpc (the bot, the CLI, anyone's service) sends the active trace
// context, so the server's spans join the caller's trace.
describe('createChatClient trace propagation', () => {
  let tracing: TestTracing;
  let server: Server;
  let url: string;
  const seen: IncomingHttpHeaders[] = [];

  beforeAll(async () => {
    tracing = installTestTracing();
    server = createServer((req, res) => {
      seen.push(req.headers);
      if (req.url?.startsWith('/sse/')) {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.end('data: {"done":{}}\n\n');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.close();
    await tracing.uninstall();
  });

  it('sends traceparent of the active span, and none outside a span', async () => {
    const client = createChatClient({ baseUrl: url, apiKey: 'k', json: true });
    const traceId = await trace.getTracer('test').startActiveSpan('telegram message', async (span) => {
      await client.listConversations({});
      span.end();
      return span.spanContext().traceId;
    });
    expect(seen[0]?.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    await client.listConversations({});
    expect(seen[1]?.traceparent).toBeUndefined();
  });

  it('sends traceparent on streamed turns too', async () => {
    seen.length = 0;
    const client = createChatStreamClient({ baseUrl: url, apiKey: 'k' });
    const traceId = await trace.getTracer('test').startActiveSpan('cli ask', async (span) => {
      await collectTurn(client.streamContinueConversation({ message: 'hi' }));
      span.end();
      return span.spanContext().traceId;
    });
    expect(seen[0]?.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
  });
});
