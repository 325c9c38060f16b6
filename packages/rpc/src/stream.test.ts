import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { collectTurn } from './collect-turn.ts';
import { Role, ToolPhase, TurnEvent } from './gen/parley/chat/v1/chat.ts';
import { describeRpcError, isRpcError } from './index.ts';
import { createChatStreamClient, isBrokenStream, SSE_ROUTES } from './stream.ts';

// A real node:http server speaking SSE, so fetch, chunking and connection closes are the real ones.

let server: Server | undefined;
afterEach(() => {
  server?.closeAllConnections();
  server?.close();
  server = undefined;
});

interface Seen {
  method?: string;
  url?: string;
  headers?: IncomingMessage['headers'];
  body?: unknown;
  /** Resolves when the client closed the request before the server ended it. */
  closedEarly: Promise<void>;
}

async function serve(handler: (res: ServerResponse) => void): Promise<{ url: string; seen: Seen }> {
  let closed!: () => void;
  const seen: Seen = { closedEarly: new Promise((resolve) => (closed = resolve)) };
  server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    Object.assign(seen, { method: req.method, url: req.url, headers: req.headers });
    seen.body = JSON.parse(Buffer.concat(chunks).toString() || 'null');
    res.on('close', () => {
      if (!res.writableFinished) closed();
    });
    handler(res);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

function frame(event: TurnEvent): string {
  const kind = event.event.oneofKind ?? 'unknown';
  return `event: ${kind}\ndata: ${JSON.stringify(TurnEvent.toJson(event, { useProtoFieldName: true }))}\n\n`;
}

const reply = { id: 'm2', role: Role.ASSISTANT, content: 'Hello there', toolCalls: [], attachments: [] };
const turn: TurnEvent[] = [
  {
    event: {
      oneofKind: 'started',
      started: {
        conversationId: 'c1',
        newConversation: true,
        userMessage: { id: 'm1', role: Role.USER, content: 'hi', toolCalls: [], attachments: [] },
      },
    },
  },
  { event: { oneofKind: 'delta', delta: { text: 'Hello' } } },
  {
    event: {
      oneofKind: 'tool',
      tool: {
        phase: ToolPhase.STARTED,
        id: 't1',
        name: 'get_weather',
        arguments: '{"location":"Paris"}',
        result: '',
        isError: false,
        provenance: 'builtin',
      },
    },
  },
  { event: { oneofKind: 'delta', delta: { text: ' there' } } },
  {
    event: {
      oneofKind: 'done',
      done: {
        conversation: { id: 'c1', title: 'hi', messageCount: 2, platform: 'cli', chatId: 'x', model: '' },
        reply,
        usage: { promptTokens: 3, completionTokens: 2, totalTokens: 5 },
        toolsUsed: ['get_weather'],
      },
    },
  },
];

function sse(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
}

async function failure(iterable: AsyncIterable<unknown>) {
  try {
    for await (const _ of iterable);
  } catch (err) {
    return err;
  }
  throw new Error('expected a failure');
}

describe('collectTurn', () => {
  it('throws an error event as the RpcError the unary call would reject with', async () => {
    async function* events() {
      yield turn[0] as TurnEvent;
      yield {
        event: { oneofKind: 'error', error: { code: 'not_found', msg: 'gone', meta: {} } },
      } as TurnEvent;
    }
    const err = await collectTurn(events()).catch((e: unknown) => e);
    expect(describeRpcError(err)).toMatchObject({ code: 'not_found', detail: 'gone' });
  });
});

describe('createChatStreamClient', () => {
  it('posts the request as JSON and yields the events in order, skipping keep-alive comments', async () => {
    const { url, seen } = await serve((res) => {
      sse(res);
      const text = `: keep-alive\n\n${turn.map(frame).join(': ping\n\n')}`;
      // Split mid-line, as TCP may: the parser reassembles.
      for (let i = 0; i < text.length; i += 37) res.write(text.slice(i, i + 37));
      res.end();
    });
    const client = createChatStreamClient({ baseUrl: `${url}/`, apiKey: 'secret' });
    const events = [];
    for await (const event of client.streamContinueConversation({ message: 'hi', conversationId: 'c1' }))
      events.push(event);
    expect(events).toEqual(turn);
    expect(seen.method).toBe('POST');
    expect(seen.url).toBe(SSE_ROUTES.ContinueConversation);
    expect(seen.headers).toMatchObject({
      authorization: 'Bearer secret',
      'content-type': 'application/json',
      accept: 'text/event-stream',
    });
    expect(seen.body).toEqual({ message: 'hi', conversation_id: 'c1' });
  });

  it('folds a streamed turn into the unary response shape', async () => {
    const { url, seen } = await serve((res) => {
      sse(res);
      res.end(turn.map(frame).join(''));
    });
    const client = createChatStreamClient({ baseUrl: url });
    const collected = await collectTurn(client.streamStartConversation({ message: 'hi' }));
    expect(seen.url).toBe(SSE_ROUTES.StartConversation);
    expect(collected).toMatchObject({
      conversationId: 'c1',
      newConversation: true,
      conversation: { id: 'c1', title: 'hi' },
      reply,
      usage: { totalTokens: 5 },
      toolsUsed: ['get_weather'],
      userMessage: { id: 'm1', content: 'hi' },
    });
  });

  it('throws a refused call as the Twirp error the unary client would', async () => {
    const { url } = await serve((res) => {
      res.writeHead(429, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ code: 'resource_exhausted', msg: 'slow down', meta: { retry_after: '7' } }));
    });
    const err = await failure(createChatStreamClient({ baseUrl: url }).streamContinueConversation({}));
    expect(isRpcError(err)).toBe(true);
    expect(describeRpcError(err)).toMatchObject({
      code: 'resource_exhausted',
      detail: 'slow down',
      retryAfterSeconds: 7,
    });
    expect(isBrokenStream(err)).toBe(false);
  });

  it('copes with a proxy answering HTML', async () => {
    const { url } = await serve((res) => {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html><body>Bad gateway</body></html>');
    });
    const err = await failure(createChatStreamClient({ baseUrl: url }).streamContinueConversation({}));
    expect(describeRpcError(err)).toMatchObject({ code: 'unavailable' });
  });

  it('refuses a success that is not an event stream', async () => {
    const { url } = await serve((res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
    const err = await failure(createChatStreamClient({ baseUrl: url }).streamContinueConversation({}));
    expect(describeRpcError(err)).toMatchObject({ code: 'unavailable' });
  });

  it('yields the events before an error event, then throws it with its code and meta', async () => {
    const { url } = await serve((res) => {
      sse(res);
      const error: TurnEvent = {
        event: {
          oneofKind: 'error',
          error: { code: 'unavailable', msg: 'the model is unavailable', meta: { retry_after: '2' } },
        },
      };
      res.end(turn.slice(0, 2).map(frame).join('') + frame(error));
    });
    const kinds: string[] = [];
    const err = await failure(
      (async function* () {
        for await (const event of createChatStreamClient({ baseUrl: url }).streamContinueConversation({})) {
          kinds.push(event.event.oneofKind ?? '');
          yield event;
        }
      })(),
    );
    expect(kinds).toEqual(['started', 'delta']);
    expect(describeRpcError(err)).toMatchObject({
      code: 'unavailable',
      detail: 'the model is unavailable',
      retryAfterSeconds: 2,
    });
    // The server said so: not a stream broken in transit.
    expect(isBrokenStream(err)).toBe(false);
  });

  it('skips event kinds it does not know', async () => {
    const { url } = await serve((res) => {
      sse(res);
      res.end(`${frame(turn[0] as TurnEvent)}data: {"heartbeat_v2":{}}\n\n${frame(turn[4] as TurnEvent)}`);
    });
    const client = createChatStreamClient({ baseUrl: url });
    const kinds = [];
    for await (const event of client.streamContinueConversation({})) kinds.push(event.event.oneofKind);
    expect(kinds).toEqual(['started', 'done']);
  });

  it('throws unavailable when the stream ends before done', async () => {
    const { url } = await serve((res) => {
      sse(res);
      res.end(frame(turn[0] as TurnEvent));
    });
    const stream = createChatStreamClient({ baseUrl: url }).streamContinueConversation({});
    const err = await collectTurn(stream).catch((e: unknown) => e);
    expect(describeRpcError(err)).toMatchObject({ code: 'unavailable' });
    expect(isBrokenStream(err)).toBe(true);
  });

  it('marks a connection lost mid-stream as broken: re-attaching may pick the turn up', async () => {
    const { url } = await serve((res) => {
      sse(res);
      res.write(frame(turn[0] as TurnEvent), () => res.destroy());
    });
    const err = await failure(createChatStreamClient({ baseUrl: url }).streamContinueConversation({}));
    expect(describeRpcError(err)).toMatchObject({ code: 'unavailable' });
    expect(isBrokenStream(err)).toBe(true);
  });

  it('closes the HTTP request when the signal aborts, and throws cancelled', async () => {
    const { url, seen } = await serve((res) => {
      sse(res);
      res.write(frame(turn[0] as TurnEvent));
    });
    const controller = new AbortController();
    const stream = createChatStreamClient({ baseUrl: url }).streamContinueConversation(
      {},
      { signal: controller.signal },
    );
    const first = await stream.next();
    expect(first.value).toEqual(turn[0]);
    controller.abort();
    const err = await stream.next().catch((e: unknown) => e);
    expect(describeRpcError(err)).toMatchObject({ code: 'cancelled' });
    expect(isBrokenStream(err)).toBe(false);
    await seen.closedEarly;
  });

  it('closes the HTTP request when the caller leaves the loop early', async () => {
    const { url, seen } = await serve((res) => {
      sse(res);
      res.write(frame(turn[0] as TurnEvent));
    });
    for await (const _ of createChatStreamClient({ baseUrl: url }).streamContinueConversation({})) break;
    await seen.closedEarly;
  });

  it('gives up when the first byte does not come in time', async () => {
    const { url } = await serve(() => undefined);
    const client = createChatStreamClient({ baseUrl: url, timeoutMs: 150 });
    const err = await failure(client.streamContinueConversation({}));
    expect(describeRpcError(err)).toMatchObject({ code: 'deadline_exceeded' });
  });

  it('gives up on a stream that falls silent', async () => {
    const { url } = await serve((res) => {
      sse(res);
      res.write(frame(turn[0] as TurnEvent));
    });
    const client = createChatStreamClient({ baseUrl: url, idleTimeoutMs: 150 });
    const err = await failure(client.streamContinueConversation({}));
    expect(describeRpcError(err)).toMatchObject({ code: 'deadline_exceeded' });
    expect(isBrokenStream(err)).toBe(true);
  });

  it('does not time a caller that takes its time with each event', async () => {
    const { url } = await serve((res) => {
      sse(res);
      res.write(turn.slice(0, 2).map(frame).join(''));
      setTimeout(() => res.end(frame(turn[4] as TurnEvent)), 50);
    });
    const client = createChatStreamClient({ baseUrl: url, idleTimeoutMs: 150 });
    const kinds = [];
    for await (const event of client.streamContinueConversation({})) {
      kinds.push(event.event.oneofKind);
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    expect(kinds).toEqual(['started', 'delta', 'done']);
  });

  it('reports a server that is not running as unreachable', async () => {
    const { url } = await serve(() => undefined);
    server?.close();
    const err = await failure(createChatStreamClient({ baseUrl: url }).streamContinueConversation({}));
    expect(describeRpcError(err)).toMatchObject({ code: 'unreachable' });
    expect(isBrokenStream(err)).toBe(true);
  });
});
