import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createChatClient, describeRpcError } from './index.ts';

let server: Server | undefined;
afterEach(() => {
  server?.closeAllConnections();
  server?.close();
  server = undefined;
});

async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
  server = createServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function failure(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (err) {
    return describeRpcError(err);
  }
  throw new Error('expected a failure');
}

describe('createChatClient and describeRpcError', () => {
  it('reports a server that is not running as unreachable', async () => {
    const url = await serve(() => undefined);
    server?.close();
    const client = createChatClient({ baseUrl: url, apiKey: 'k', timeoutMs: 2_000 });
    expect(await failure(client.listConversations({}))).toMatchObject({ code: 'unreachable' });
  });

  it('gives up after the deadline when the server never answers', async () => {
    const url = await serve(() => undefined);
    const client = createChatClient({ baseUrl: url, apiKey: 'k', timeoutMs: 200 });
    expect(await failure(client.listConversations({}))).toMatchObject({ code: 'deadline_exceeded' });
  });

  it('copes with a proxy answering HTML', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html><body>Bad gateway</body></html>');
    });
    const client = createChatClient({ baseUrl: url, apiKey: 'k', json: true });
    expect(await failure(client.listConversations({}))).toMatchObject({
      code: 'unavailable',
      detail: 'the server answered with something that is not a Twirp response (HTTP 502)',
    });
  });

  it('passes Twirp errors through with their code, message and retry hint', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(429, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ code: 'resource_exhausted', msg: 'slow down', meta: { retry_after: '7' } }));
    });
    const client = createChatClient({ baseUrl: url, apiKey: 'k' });
    expect(await failure(client.listConversations({}))).toEqual({
      code: 'resource_exhausted',
      title: 'too many requests; try again in 7 s',
      detail: 'slow down',
      retryAfterSeconds: 7,
    });
  });

  it('reads the limit of a too-long message from meta', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(400, { 'content-type': 'application/json' });
      const meta = { argument: 'message', max_chars: '8000' };
      res.end(JSON.stringify({ code: 'invalid_argument', msg: 'message is too long', meta }));
    });
    const client = createChatClient({ baseUrl: url, apiKey: 'k', json: true });
    expect(await failure(client.startConversation({ message: 'x' }))).toMatchObject({
      code: 'invalid_argument',
      argument: 'message',
      maxChars: 8000,
      title: 'the message is too long (at most 8,000 characters)',
    });
  });

  it('treats a JSON body that is not a Twirp error as an answer from a proxy', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'login required' }));
    });
    const client = createChatClient({ baseUrl: url, apiKey: 'k' });
    expect(await failure(client.listConversations({}))).toMatchObject({ code: 'unavailable' });
  });
});
