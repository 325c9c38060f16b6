import type { Stream } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { McpServerConfig } from '@parley/config';

const CLIENT_INFO = { name: 'parley', version: '0.1.0' };
const MAX_STDERR_LINE = 500;

/** One attempt at a session: the SDK client and, for stdio, the child's process id. */
export interface McpConnection {
  client: Client;
  /** Spawns or reaches the server and runs the MCP initialize handshake. */
  connect(timeoutMs: number): Promise<void>;
  /** The child's pid for a stdio server once spawned; undefined for HTTP. */
  processId(): number | undefined;
  /** Ends the HTTP session politely (DELETE), then closes; for stdio, closing ends the child (SIGTERM, then SIGKILL). */
  close(): Promise<void>;
}

export interface McpConnectionHooks {
  /** Each line the child writes to stderr (stdio only), cut to a sane length. */
  onStderr: (line: string) => void;
}

/** A fresh, unconnected client and transport for `server`. */
export function createMcpConnection(server: McpServerConfig, hooks: McpConnectionHooks): McpConnection {
  const client = new Client(CLIENT_INFO, { capabilities: {} });
  if (server.transport === 'stdio') {
    const transport = new StdioClientTransport({
      command: server.command,
      args: server.args,
      // Merged by the SDK over a safe default environment (PATH, HOME…), never over the server's own secrets.
      env: server.env,
      ...(server.cwd ? { cwd: server.cwd } : {}),
      // Piped, not inherited: the child's chatter goes to our logger, and a full pipe never blocks it.
      stderr: 'pipe',
    });
    forwardLines(transport.stderr, hooks.onStderr);
    return {
      client,
      connect: (timeout) => client.connect(transport, { timeout }),
      processId: () => transport.pid ?? undefined,
      close: () => client.close(),
    };
  }
  const transport = new StreamableHTTPClientTransport(new URL(server.url), {
    requestInit: { headers: server.headers },
  });
  return {
    client,
    connect: (timeout) => client.connect(transport, { timeout }),
    processId: () => undefined,
    close: async () => {
      await transport.terminateSession().catch(() => undefined);
      await client.close();
    },
  };
}

function forwardLines(stream: Stream | null, onLine: (line: string) => void): void {
  if (!stream) return;
  let pending = '';
  const decoder = new StringDecoder('utf8');
  stream.on('data', (chunk: Buffer | string) => {
    pending += typeof chunk === 'string' ? chunk : decoder.write(chunk);
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    if (pending.length > MAX_STDERR_LINE) pending = pending.slice(0, MAX_STDERR_LINE);
    for (const line of lines) if (line.trim()) onLine(line.slice(0, MAX_STDERR_LINE));
  });
}

/**
 * Removes a server's secrets (header and env values, URL credentials) from text that may be shown: error
 * messages from transports can echo request details, and /ready must never print a token.
 */
export function createScrubber(server: McpServerConfig): (text: string) => string {
  const values = server.transport === 'stdio' ? Object.values(server.env) : Object.values(server.headers);
  const secrets = new Set<string>();
  for (const value of values) {
    if (value.length >= 4) secrets.add(value);
    for (const part of value.split(/\s+/)) if (part.length >= 8) secrets.add(part);
  }
  const ordered = [...secrets].sort((a, b) => b.length - a.length);
  return (text) => {
    let out = text.replace(/(\/\/[^:/@\s]+:)[^@\s]+@/g, '$1[redacted]@');
    for (const secret of ordered) out = out.replaceAll(secret, '[redacted]');
    return out;
  };
}
