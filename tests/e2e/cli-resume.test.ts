import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServerProcess, spawnParley, startServerProcess } from '../support/cli-processes.ts';
import { type OpenAiStandIn, startOpenAiStandIn } from '../support/openai-stand-in.ts';

// A streamed `parley ask` whose connection is cut mid-reply: the real server, the real CLI, and between
// them a TCP proxy that drops the first connection once part of the reply has passed, then lets the next
// ones through. The CLI re-attaches with the same request_id and prints each piece exactly once.

/** 30 distinct words, streamed 50 ms apart: the cut comes while the turn is still running. */
const WORDS = Array.from({ length: 30 }, (_, i) => `piece${i}`);
const REPLY = WORDS.join(' ');

let standIn: OpenAiStandIn;
let dataDir: string;
let keyFile: string;
let server: ServerProcess | undefined;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'parley-e2e-cli-resume-'));
  keyFile = join(dataDir, 'key');
  standIn = await startOpenAiStandIn();
  standIn.setDefault(() => ({ reply: REPLY, stream: { chunks: WORDS.length, intervalMs: 50 } }));
  server = await startServerProcess({ dataDir, keyFile, openAiUrl: standIn.url });
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await standIn?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

interface CuttingProxy {
  url: string;
  /** Connections accepted so far. */
  readonly connections: number;
  close(): Promise<void>;
}

/**
 * Forwards TCP to `target`. The first connection is destroyed, both ways, right after it forwarded
 * server bytes containing `cutAfter`; the ones after it pass untouched.
 */
async function startCuttingProxy(target: string, cutAfter: string): Promise<CuttingProxy> {
  const { hostname, port } = new URL(target);
  const sockets = new Set<Socket>();
  let connections = 0;
  const proxy: Server = createServer((client) => {
    const cut = ++connections === 1;
    const upstream = connect(Number(port), hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    client.pipe(upstream);
    let seen = '';
    upstream.on('data', (chunk: Buffer) => {
      client.write(chunk);
      seen += chunk.toString('latin1');
      if (cut && seen.includes(cutAfter)) {
        client.destroy();
        upstream.destroy();
      }
    });
    upstream.on('end', () => client.end());
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const address = proxy.address() as { port: number };
  return {
    url: `http://127.0.0.1:${address.port}`,
    get connections() {
      return connections;
    },
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        proxy.close(() => resolve());
      }),
  };
}

describe('parley ask over a connection cut mid-reply', () => {
  it('re-attaches with the same request, says so, and prints each piece exactly once', async () => {
    const proxy = await startCuttingProxy(server?.url ?? '', 'piece8');
    try {
      const requestsBefore = standIn.requests.length;
      const child = spawnParley(['ask', 'tell me the pieces'], {
        HOME: dataDir,
        PARLEY_URL: proxy.url,
        PARLEY_LOCAL_KEY_FILE: keyFile,
        PARLEY_USER: 'resume-user',
      });
      child.child.stdin?.end();
      const result = await child.result;
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toBe(`${REPLY}\n`);
      const printed = result.stdout.trim().split(/\s+/);
      for (const word of WORDS)
        expect(
          printed.filter((w) => w === word),
          word,
        ).toHaveLength(1);
      expect(result.stderr.match(/reconnected/g)).toHaveLength(1);
      expect(proxy.connections).toBe(2);
      // Re-attached to the running turn: the model was asked once.
      const turns = standIn.requests
        .slice(requestsBefore)
        .filter((r) => !r.body.messages?.some((m) => String(m.content).startsWith('Write a short title')));
      expect(turns).toHaveLength(1);
    } finally {
      await proxy.close();
    }
  });
});
