import { Agent, createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The baseline of the streaming relay benchmark: a bare node:http server doing the least a streamed turn
 * needs. One streamed chat completion to the model over a keep-alive agent; its SSE parsed line by line,
 * each chunk `JSON.parse`d; one SSE event written per piece (the same `event: delta` frame Parley writes);
 * the model call aborted when the client leaves. No storage, no policy, no validation, no logging.
 * Env: PORT, OPENAI_BASE_URL.
 */

const model = new URL(`${process.env.OPENAI_BASE_URL ?? 'http://127.0.0.1:1/v1'}/chat/completions`);
const agent = new Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });

interface Chunk {
  choices?: Array<{ delta?: { content?: string } }>;
}

function relay(message: string, res: ServerResponse): void {
  const payload = JSON.stringify({
    model: 'gpt-4o-mini',
    stream: true,
    messages: [{ role: 'user', content: message }],
  });
  const upstream = request(model, {
    method: 'POST',
    agent,
    headers: {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(payload),
      authorization: 'Bearer bench',
    },
  });
  res.once('close', () => {
    if (!res.writableFinished) upstream.destroy();
  });
  upstream.on('error', () => {
    if (!res.headersSent) res.writeHead(502);
    res.end();
  });
  upstream.on('response', (modelRes: IncomingMessage) => {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
    modelRes.setEncoding('utf8');
    let pending = '';
    modelRes.on('data', (text: string) => {
      pending += text;
      let newline = pending.indexOf('\n');
      while (newline >= 0) {
        const line = pending.slice(0, newline).trim();
        pending = pending.slice(newline + 1);
        newline = pending.indexOf('\n');
        if (!line.startsWith('data:')) continue;
        const data = line.slice(5).trim();
        if (data === '[DONE]') continue;
        const piece = (JSON.parse(data) as Chunk).choices?.[0]?.delta?.content;
        if (piece) res.write(`event: delta\ndata: {"delta":{"text":${JSON.stringify(piece)}}}\n\n`);
      }
    });
    modelRes.on('end', () => res.end('event: done\ndata: {"done":{}}\n\n'));
    modelRes.on('error', () => res.destroy());
  });
  upstream.end(payload);
}

const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/health') {
    res.writeHead(200, { 'content-type': 'application/json' });
    return void res.end('{"status":"ok"}');
  }
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { message?: string };
    relay(body.message ?? '', res);
  });
});
server.keepAliveTimeout = 60_000;
server.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1', backlog: 4096 }, () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`RELAY_URL=http://127.0.0.1:${port}\n`);
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
