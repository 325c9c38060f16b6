import { createLogger } from '@parley/logger';
import { afterEach, describe, expect, it } from 'vitest';
import type { ToolSourceEvent } from '../../server/src/mcp/external-tool.ts';
import { McpToolSources } from '../../server/src/mcp/mcp-tool-sources.ts';
import { freePort } from '../support/free-port.ts';
import { McpHttpTestServer } from '../support/mcp-http-server.ts';

const logger = createLogger({ name: 'test', level: 'silent', pretty: false });
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setUp() {
  const server = await new McpHttpTestServer().start();
  cleanups.push(() => server.kill());
  const nobody = `http://127.0.0.1:${await freePort()}/mcp`;
  const sources = new McpToolSources({
    servers: [
      { name: 'public', transport: 'http', url: server.url, headers: {} },
      { name: 'internal', transport: 'http', url: server.url, headers: {}, clients: ['ops'] },
      { name: 'gone', transport: 'http', url: nobody, headers: {} },
    ],
    logger,
    defaultTimeoutMs: 2_000,
    options: { reconnect: { initialDelayMs: 1_000, maxDelayMs: 5_000 } },
  });
  cleanups.push(() => sources.close());
  return sources;
}

describe('McpToolSources', () => {
  it('offers each client only the servers it may use', async () => {
    const sources = await setUp();
    await sources.start();
    const names = (client?: string) => sources.tools(client).map((t) => t.name);
    expect(names('bot')).toEqual(['public__add', 'public__slow', 'public__fail']);
    expect(names('ops')).toEqual([...names('bot'), 'internal__add', 'internal__slow', 'internal__fail']);
    expect(names()).toEqual(names('ops'));
    expect(sources.allows('internal', 'bot')).toBe(false);
    expect(sources.allows('unknown', 'ops')).toBe(false);
  });

  it('reports every server state for /ready, a dead one included, and closes them all', async () => {
    const sources = await setUp();
    const events: ToolSourceEvent[] = [];
    sources.subscribe((e) => events.push(e));
    await sources.start();
    const states = sources.states();
    expect(states.public).toMatchObject({ status: 'ready', tools: 3 });
    expect(states.internal).toMatchObject({ status: 'ready', tools: 3 });
    expect(states.gone).toMatchObject({ status: 'down', tools: 0 });
    // At least the first attempt failed; on a loaded machine the backoff may already have tried again.
    expect(states.gone?.attempts).toBeGreaterThanOrEqual(1);
    const published = events.filter((e) => e.type === 'tools').map((e) => e.source);
    expect(published.sort()).toEqual(['internal', 'public']);

    await sources.close();
    expect(Object.values(sources.states()).map((s) => s.status)).toEqual(['closed', 'closed', 'closed']);
    expect(sources.tools()).toEqual([]);
  });
});
