import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createChatClient } from '@parley/rpc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OpenAiStandIn, startOpenAiStandIn } from '../support/openai-stand-in.ts';
import { shippedApp } from '../support/shipped-artifacts.ts';
import { type ShippedProcess, startShipped } from '../support/shipped-processes.ts';

// WORKERS=2 on what ships: the bundled server as its image starts it (its CMD), a cluster
// primary and two workers on one port. The pool's behaviour on the sources: tests/integration/workers.test.ts.

const KEY = 'shipped-workers-key-0123456789';

/** GET on a new connection, so the primary hands it to the next worker. */
function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the shipped server with WORKERS=2', () => {
  let model: OpenAiStandIn;
  let server: ShippedProcess;
  let dataDir: string;
  let url = '';

  beforeAll(async () => {
    const app = await shippedApp('server');
    dataDir = await mkdtemp(join(tmpdir(), 'parley-shipped-workers-'));
    model = await startOpenAiStandIn();
    server = startShipped(app, {
      WORKERS: '2',
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      API_KEYS: `cli=${KEY}`,
      OPENAI_BASE_URL: model.url,
      OPENAI_API_KEY: 'test',
      GENERATE_TITLES: 'false',
      LOG_LEVEL: 'info',
    });
    // PORT=0 in a pool: the port is picked once and both workers share it.
    await server.waitForOutput(/"worker":1,[^\n]*Parley is listening/);
    await server.waitForOutput(/"worker":2,[^\n]*Parley is listening/);
    url = (await server.waitForOutput(/"url":"(http:\/\/127\.0\.0\.1:\d+)"/))[1] ?? '';
  }, 180_000);

  afterAll(async () => {
    await server?.stop();
    await model?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('answers on one port from both workers, takes a turn, and drains both on SIGTERM', async () => {
    const ports = new Set(server.output().match(/"url":"[^"]+"/g));
    expect(ports.size).toBe(1);
    const workers = new Set<number>();
    for (let i = 0; i < 20 && workers.size < 2; i++) {
      workers.add((JSON.parse((await get(`${url}/health`)).body) as { worker: number }).worker);
    }
    expect([...workers].sort()).toEqual([1, 2]);

    const client = createChatClient({ baseUrl: url, apiKey: KEY });
    const turn = await client.startConversation({
      message: 'hello pool',
      session: { platform: 'cli', userId: 'u', chatId: '' },
    });
    expect(turn.reply?.content).toBe('Echo: hello pool');
    const metrics = await get(`${url}/metrics`);
    expect(metrics.body).toMatch(/parley_rpc_requests_total\{[^}]*"StartConversation"[^}]*\} 1/);

    const exited = new Promise<number | null>((resolve) => server.child.once('exit', resolve));
    server.child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
