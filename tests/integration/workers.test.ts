import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '@parley/logger';
import { createChatClient } from '@parley/rpc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerProcess } from '../support/cli-processes.ts';
import { type OpenAiStandIn, startOpenAiStandIn } from '../support/openai-stand-in.ts';
import { connectTestRedis, type TestRedis } from '../support/test-redis.ts';
import {
  chatCallOnLink,
  type HttpAnswer,
  httpRequest,
  linksToEachWorker,
  listening,
  logLines,
  startWorkerPool,
  type WorkerLink,
  waitForLog,
} from '../support/worker-pool.ts';

// WORKERS=2: the real server started as its users start it, a node:cluster primary and two worker
// processes on one port, with what they share in SQLite files (or Redis). The primary deals connections
// to the workers in turn; the workers' access log lines (`worker` field) show who served what.

const KEY = 'workers-key-0123456789abcdef';

/** Waits until both workers have logged an access line for `method` (log lines may trail the answers). */
function servedByBoth(pool: ServerProcess, method: string): Promise<void> {
  return waitForLog(pool, `${method} served by both workers`, (lines) => {
    const workers = lines.filter((l) => l.msg === 'rpc' && l.method === method && l.code === 'ok');
    return new Set(workers.map((l) => l.worker)).size === 2;
  });
}

/** GET on a new connection each time, so the primary hands it to the next worker. */
function getOnNewConnection(url: string): Promise<HttpAnswer> {
  return httpRequest(url, { agent: false });
}

/** A ChatService call in Twirp JSON on the link's connection. */
const call = <T>(url: string, link: WorkerLink, method: string, body: object) =>
  chatCallOnLink<T>(url, link, KEY, method, body);

/** Twirp JSON as the server writes it: proto field names. */
interface TurnAnswer {
  conversation_id?: string;
  conversation?: { id: string };
  reply?: { id: string; content: string };
}

interface Described {
  messages: Array<{ role: string; content: string }>;
}

function startPool(standIn: OpenAiStandIn, dataDir: string, env: Record<string, string> = {}) {
  return startWorkerPool({ dataDir, openAiUrl: standIn.url, apiKey: KEY, env });
}

/** Every turn's model call takes a while, so turns sent together overlap on both workers. */
function slowEcho(standIn: OpenAiStandIn): void {
  standIn.setDefault((body) => {
    const last = body.messages?.findLast((m) => m.role === 'user');
    const reply = { reply: `Echo: ${String(last?.content)}` };
    // biome-ignore lint/suspicious/noThenProperty: the stand-in's step shape (a delay, then a reply)
    return { delayMs: 40, then: reply };
  });
}

/** Shared by the embedded and the Redis runs: what several processes must agree on. */
function describeSharedState(setup: () => { pool: ServerProcess; standIn: OpenAiStandIn }) {
  let links: WorkerLink[];
  beforeAll(async () => {
    links = await linksToEachWorker(setup().pool.url, 3);
  });
  afterAll(() => {
    for (const link of links ?? []) link.agent.destroy();
  });

  it('runs concurrent turns on one chat from both workers as one conversation, in order, each once', async () => {
    const { pool } = setup();
    const session = { platform: 'telegram', userId: 'u1', chatId: randomUUID() };
    const messages = Array.from({ length: 12 }, (_, i) => `message ${i}`);
    const turns = await Promise.all(
      messages.map((message, i) =>
        call<TurnAnswer>(pool.url, links[i % links.length] as WorkerLink, 'ContinueConversation', {
          message,
          session,
        }),
      ),
    );
    const conversationIds = new Set(turns.map((t) => t.conversation_id));
    expect(conversationIds.size).toBe(1);
    await servedByBoth(pool, 'ContinueConversation');

    const [conversationId] = [...conversationIds] as [string];
    const link = links[0] as WorkerLink;
    const stored = (
      await call<Described>(pool.url, link, 'DescribeConversation', {
        conversationId,
        session,
        pageSize: 100,
      })
    ).messages;
    expect(stored).toHaveLength(24);
    // Strictly user, assistant, user, assistant…: no turn ran inside another.
    expect(stored.map((m) => m.role)).toEqual(messages.flatMap(() => ['ROLE_USER', 'ROLE_ASSISTANT']));
    for (let i = 0; i < stored.length; i += 2) {
      expect(stored[i + 1]?.content).toBe(`Echo: ${stored[i]?.content}`);
    }
    const asked = stored.filter((m) => m.role === 'ROLE_USER').map((m) => m.content);
    expect(asked.sort()).toEqual([...messages].sort());
  });

  it('runs a request_id sent to both workers at once as one turn', async () => {
    const { pool, standIn } = setup();
    const session = { platform: 'cli', userId: 'u2', chatId: '' };
    const message = `only once ${randomUUID()}`;
    const requestId = randomUUID();
    const before = standIn.requests.length;
    const answers = await Promise.all(
      links.map((link) =>
        call<TurnAnswer>(pool.url, link, 'StartConversation', { message, session, request_id: requestId }),
      ),
    );
    await servedByBoth(pool, 'StartConversation');
    expect(new Set(answers.map((a) => a.conversation?.id)).size).toBe(1);
    expect(new Set(answers.map((a) => a.reply?.id)).size).toBe(1);
    const calls = standIn.requests.slice(before).filter((r) => JSON.stringify(r.body).includes(message));
    expect(calls).toHaveLength(1);
    const conversationId = answers[0]?.conversation?.id ?? '';
    const stored = (
      await call<Described>(pool.url, links[0] as WorkerLink, 'DescribeConversation', {
        conversationId,
        session,
      })
    ).messages;
    expect(stored.map((m) => m.content)).toEqual([message, `Echo: ${message}`]);
  });
}

describe('WORKERS=2 on the embedded default (SQLite files in a fresh DATA_DIR)', () => {
  let standIn: OpenAiStandIn;
  let dataDir: string;
  let pool: ServerProcess;

  beforeAll(async () => {
    standIn = await startOpenAiStandIn();
    slowEcho(standIn);
    dataDir = await mkdtemp(join(tmpdir(), 'parley-workers-'));
    pool = await startPool(standIn, dataDir);
  });
  afterAll(async () => {
    await pool?.stop();
    await standIn?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('serves one port from two worker processes; /health names the one that answered', async () => {
    const workers = new Set<number>();
    for (let i = 0; i < 20 && workers.size < 2; i++) {
      const health = await getOnNewConnection(`${pool.url}/health`);
      expect(health.status).toBe(200);
      workers.add((JSON.parse(health.body) as { worker: number }).worker);
    }
    expect(workers.size).toBe(2);
    const ready = await getOnNewConnection(`${pool.url}/ready`);
    expect(JSON.parse(ready.body)).toMatchObject({
      status: 'ready',
      components: { coordination: { ok: true, detail: 'sqlite' } },
    });
  });

  describeSharedState(() => ({ pool, standIn }));

  it('answers /metrics from any worker with the whole pool’s counts', async () => {
    const listed = async () => {
      const metrics = await getOnNewConnection(`${pool.url}/metrics`);
      expect(metrics.status).toBe(200);
      return metrics.body
        .split('\n')
        .filter((l) => l.startsWith('parley_rpc_requests_total{') && l.includes('"ListConversations"'))
        .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
    };
    const before = await listed();
    const links = await linksToEachWorker(pool.url, 1);
    const session = { platform: 'cli', userId: 'metrics', chatId: '' };
    for (const link of [...links, ...links]) await call(pool.url, link, 'ListConversations', { session });
    for (const link of links) link.agent.destroy();
    // Two calls on each worker: one worker's own numbers would show 2.
    expect((await listed()) - before).toBe(4);
  });

  it('restarts a worker that dies, and the port keeps answering', async () => {
    const victim = listening(logLines(pool))[0];
    expect(victim?.pid).toBeGreaterThan(0);
    process.kill(victim?.pid ?? 0, 'SIGKILL');
    await waitForLog(pool, 'the death reported', (lines) =>
      lines.some((l) => l.msg === 'a server worker died; restarting it'),
    );
    await waitForLog(pool, 'a third worker listening', (lines) => listening(lines).length >= 3);
    const session = { platform: 'cli', userId: 'u3', chatId: '' };
    const turn = await client().startConversation({ message: 'still here', session });
    expect(turn.reply?.content).toBe('Echo: still here');

    function client() {
      return createChatClient({ baseUrl: pool.url, apiKey: KEY });
    }
  });

  it('stops every worker on SIGTERM and exits 0', async () => {
    const exited = new Promise<number | null>((resolve) => pool.child.once('exit', resolve));
    pool.child.kill('SIGTERM');
    expect(await exited).toBe(0);
    const draining = logLines(pool).filter((l) => l.msg === 'shutting down: draining in-flight requests');
    expect(new Set(draining.map((l) => l.worker)).size).toBe(2);
  });
});

describe('WORKERS=2 with Redis', () => {
  let standIn: OpenAiStandIn;
  let redis: TestRedis;
  let dataDir: string;
  let pool: ServerProcess;

  beforeAll(async () => {
    standIn = await startOpenAiStandIn();
    slowEcho(standIn);
    redis = await connectTestRedis(createLogger({ name: 'workers-test', level: 'silent', pretty: false }));
    dataDir = await mkdtemp(join(tmpdir(), 'parley-workers-redis-'));
    pool = await startPool(standIn, dataDir, {
      REDIS_URL: 'redis://127.0.0.1:6379',
      REDIS_KEY_PREFIX: redis.prefix,
    });
  });
  afterAll(async () => {
    await pool?.stop();
    await standIn?.close();
    await redis?.cleanup();
    await rm(dataDir, { recursive: true, force: true });
  });

  describeSharedState(() => ({ pool, standIn }));

  it('keeps no coordination file: Redis holds what the workers share', async () => {
    expect(existsSync(join(dataDir, 'coordination.db'))).toBe(false);
  });

  it('lets the workers drain and exit when the primary is killed', async () => {
    const pids = listening(logLines(pool)).map((l) => l.pid ?? 0);
    expect(pids).toHaveLength(2);
    pool.child.kill('SIGKILL');
    const alive = (pid: number) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    for (let i = 0; i < 300 && pids.some(alive); i++) await sleep(50);
    expect(pids.filter(alive)).toEqual([]);
  });
});
