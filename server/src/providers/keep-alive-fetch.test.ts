import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { gate } from '../../../tests/support/gate.ts';
import { type OpenAiStandIn, startOpenAiStandIn } from '../../../tests/support/openai-stand-in.ts';
import {
  claimNodeBody,
  createKeepAliveFetch,
  type FetchFunction,
  NODE_BODY_ONLY,
} from './keep-alive-fetch.ts';

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

let server: Server;
let base: string;
let handler: Handler;
let connections = 0;
const transport = createKeepAliveFetch();
const { fetch } = transport;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => handler(req, res, body));
  });
  server.on('connection', () => (connections += 1));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(() => {
  connections = 0;
});

afterAll(() => {
  transport.close();
  server.closeAllConnections();
  server.close();
});

describe('createKeepAliveFetch', () => {
  it('sends method, headers and body and answers a standard Response', async () => {
    handler = (req, res, body) =>
      res
        .writeHead(201, 'Made', { 'content-type': 'application/json', 'x-seen': req.headers['x-key'] ?? '' })
        .end(JSON.stringify({ method: req.method, body }));
    const res = await fetch(`${base}/v1/things`, {
      method: 'POST',
      headers: { 'x-key': 'k1', 'content-type': 'application/json' },
      body: '{"a":1}',
    });
    expect(res).toBeInstanceOf(Response);
    expect([res.status, res.statusText, res.ok]).toEqual([201, 'Made', true]);
    expect(res.headers.get('x-seen')).toBe('k1');
    expect(await res.json()).toEqual({ method: 'POST', body: '{"a":1}' });
  });

  it('reuses one connection for requests made one after another', async () => {
    handler = (_req, res) => res.end('ok');
    const own = createKeepAliveFetch();
    try {
      for (let i = 0; i < 5; i += 1) expect(await (await own.fetch(`${base}/`)).text()).toBe('ok');
      expect(connections).toBe(1);
    } finally {
      own.close();
    }
  });

  it('delivers a streamed body as it is written, before the response ends', async () => {
    let finish: () => void = () => {};
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: one\n\n');
      finish = () => res.end('data: two\n\n');
    };
    const res = await fetch(`${base}/stream`);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    expect(decoder.decode((await reader.read()).value)).toBe('data: one\n\n');
    finish();
    expect(decoder.decode((await reader.read()).value)).toBe('data: two\n\n');
    expect((await reader.read()).done).toBe(true);
  });

  it('answers a flagged successful event stream with no web body, its Node stream for the claiming', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' });
      res.end('data: one\n\n');
    };
    const res = await fetch(`${base}/stream`, NODE_BODY_ONLY);
    expect(res.body).toBeNull();
    const node = claimNodeBody(res);
    let text = '';
    for await (const chunk of node ?? []) text += String(chunk);
    expect(text).toBe('data: one\n\n');
  });

  it('keeps the web body of a flagged answer that is an error or not an event stream', async () => {
    for (const [status, type] of [
      [429, 'text/event-stream'],
      [200, 'application/json'],
    ] as const) {
      handler = (_req, res) => res.writeHead(status, { 'content-type': type }).end('{"error":{}}');
      const res = await fetch(`${base}/x`, NODE_BODY_ONLY);
      expect(await res.text(), `${status} ${type}`).toBe('{"error":{}}');
    }
  });

  it('ends the request when its signal aborts mid-body, and the body read rejects', async () => {
    const closed = new Promise<void>((resolve) => {
      handler = (req, res) => {
        res.writeHead(200).write('partial');
        req.socket.once('close', () => resolve());
      };
    });
    const controller = new AbortController();
    const res = await fetch(`${base}/slow`, { signal: controller.signal });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    controller.abort();
    await expect(reader.read()).rejects.toMatchObject({ name: 'AbortError' });
    await closed;
  });

  it('rejects with the abort reason when aborted before the answer', async () => {
    handler = () => {};
    const controller = new AbortController();
    const pending = fetch(`${base}/never`, { signal: controller.signal });
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('errors the body when the server dies mid-answer', async () => {
    const answered = gate();
    handler = (req, res) => {
      res.writeHead(200).write('half');
      // Dies once the client has the response, so the body (not the fetch) is what breaks.
      void answered.opened.then(() => req.socket.destroy());
    };
    const res = await fetch(`${base}/dies`);
    answered.open();
    await expect(res.text()).rejects.toThrow();
  });

  it('answers a null body for 204 and decodes a gzip body', async () => {
    handler = (req, res) => {
      if (req.url === '/empty') res.writeHead(204).end();
      else res.writeHead(200, { 'content-encoding': 'gzip' }).end(gzipSync('unzipped'));
    };
    const empty = await fetch(`${base}/empty`);
    expect([empty.status, empty.body]).toEqual([204, null]);
    expect(await (await fetch(`${base}/zipped`)).text()).toBe('unzipped');
  });

  it('leaves redirects and inputs it does not handle to the fallback', async () => {
    const seen: string[] = [];
    const fallback: FetchFunction = async (input) => {
      seen.push(input instanceof Request ? `request ${input.url}` : String(input));
      return new Response('from fallback');
    };
    const own = createKeepAliveFetch({ fallback });
    handler = (_req, res) => res.writeHead(307, { location: '/elsewhere' }).end();
    try {
      expect(await (await own.fetch(`${base}/moved`)).text()).toBe('from fallback');
      expect(await (await own.fetch(new Request(`${base}/r`))).text()).toBe('from fallback');
      const form = new FormData();
      form.set('file', 'x');
      await own.fetch(`${base}/upload`, { method: 'POST', body: form });
      expect(seen).toEqual([`${base}/moved`, `request ${base}/r`, `${base}/upload`]);
    } finally {
      own.close();
    }
  });
});

describe('the openai SDK over createKeepAliveFetch', () => {
  let model: OpenAiStandIn;
  let client: OpenAI;
  beforeAll(async () => {
    model = await startOpenAiStandIn();
    client = new OpenAI({ apiKey: 'test', baseURL: model.url, maxRetries: 0, fetch });
  });
  afterAll(() => model.close());

  it('completes a chat, and streams one chunk by chunk', async () => {
    model.script({ reply: 'plain answer' }, { reply: 'streamed answer' });
    const completion = await client.chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(completion.choices[0]?.message.content).toBe('plain answer');

    const stream = await client.chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
    });
    let text = '';
    let chunks = 0;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      chunks += 1;
    }
    expect(text).toBe('streamed answer');
    expect(chunks).toBeGreaterThan(1);
    expect(model.requests[0]?.headers.authorization).toBe('Bearer test');
  });

  it('surfaces an error status as the SDK error with its status', async () => {
    model.script({ status: 429, body: { error: { message: 'slow down' } }, headers: { 'retry-after': '2' } });
    await expect(
      client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }),
    ).rejects.toMatchObject({ status: 429 });
  });
});
