import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';

/** A JSON-RPC request as it reached the server, before the SDK looked at it. */
export interface ReceivedRequest {
  method: string;
  params: unknown;
  headers: IncomingMessage['headers'];
}

/**
 * A real MCP server over streamable HTTP (the SDK's McpServer, one per session, stateful), on loopback
 * port 0. Tools: `add {a, b}`, `slow {ms}` (waits unless cancelled), `fail` (answers isError). It records
 * every JSON-RPC request it receives, can gain tools at run time (which sends tools/list_changed), and can
 * be killed (sockets destroyed, sessions lost) and started again on the same port.
 */
export class McpHttpTestServer {
  readonly requests: ReceivedRequest[] = [];
  /** Calls of `slow` that the client cancelled. */
  readonly cancelled: number[] = [];
  readonly #sessions = new Map<string, { transport: StreamableHTTPServerTransport; server: McpServer }>();
  readonly #extraTools: string[] = [];
  #http: Server | undefined;
  #port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.#port}/mcp`;
  }

  /** tools/call requests received, by tool name. */
  calls(tool: string): ReceivedRequest[] {
    return this.requests.filter(
      (r) => r.method === 'tools/call' && (r.params as { name?: unknown } | undefined)?.name === tool,
    );
  }

  async start(): Promise<this> {
    const http = createServer((req, res) => {
      this.#handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500).end(String(err));
      });
    });
    http.listen(this.#port, '127.0.0.1');
    await once(http, 'listening');
    this.#port = (http.address() as AddressInfo).port;
    this.#http = http;
    return this;
  }

  /** Adds an `echo_<suffix>` tool to every live session (each tells its client the list changed). */
  addTool(suffix: string): void {
    this.#extraTools.push(suffix);
    for (const { server } of this.#sessions.values()) registerEcho(server, suffix);
  }

  /** Like a crash: connections cut, sessions gone, nothing listening until {@link start}. */
  async kill(): Promise<void> {
    const http = this.#http;
    this.#http = undefined;
    for (const { server } of this.#sessions.values()) await server.close().catch(() => undefined);
    this.#sessions.clear();
    if (!http) return;
    http.closeAllConnections();
    http.close();
    await once(http, 'close');
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = req.method === 'POST' ? await readJson(req) : undefined;
    for (const message of Array.isArray(body) ? body : [body]) {
      if (message && typeof message === 'object' && 'method' in message) {
        this.requests.push({ method: String(message.method), params: message.params, headers: req.headers });
      }
    }
    const sessionId = req.headers['mcp-session-id'];
    const existing = typeof sessionId === 'string' ? this.#sessions.get(sessionId) : undefined;
    if (existing) return existing.transport.handleRequest(req, res, body);
    if (sessionId === undefined && req.method === 'POST' && isInitializeRequest(body)) {
      const transport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (id) => {
          this.#sessions.set(id, { transport, server });
        },
      });
      const server = this.#createServer();
      await server.connect(transport);
      return transport.handleRequest(req, res, body);
    }
    res.writeHead(sessionId === undefined ? 400 : 404, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message: 'no such session' }, id: null }),
    );
  }

  #createServer(): McpServer {
    const server = new McpServer({ name: 'parley-test', version: '1.0.0' });
    server.registerTool(
      'add',
      { description: 'Adds two numbers', inputSchema: { a: z.number(), b: z.number() } },
      async ({ a, b }) => ({ content: [{ type: 'text', text: String(a + b) }] }),
    );
    server.registerTool(
      'slow',
      { description: 'Answers after ms milliseconds', inputSchema: { ms: z.number().int().min(0) } },
      async ({ ms }, extra) => {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, ms);
          extra.signal.addEventListener('abort', () => {
            clearTimeout(timer);
            this.cancelled.push(ms);
            resolve();
          });
        });
        return { content: [{ type: 'text', text: `waited ${ms} ms` }] };
      },
    );
    server.registerTool('fail', { description: 'Always fails' }, async () => ({
      content: [{ type: 'text', text: 'the backend said no' }],
      isError: true,
    }));
    for (const suffix of this.#extraTools) registerEcho(server, suffix);
    return server;
  }
}

function registerEcho(server: McpServer, suffix: string): void {
  server.registerTool(
    `echo_${suffix}`,
    { description: `Echoes (${suffix})`, inputSchema: { text: z.string() } },
    async ({ text }) => ({ content: [{ type: 'text', text }] }),
  );
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? JSON.parse(text) : undefined;
}
