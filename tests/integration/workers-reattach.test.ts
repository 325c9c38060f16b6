import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SSE_ROUTES } from '@parley/rpc';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ServerProcess } from '../support/cli-processes.ts';
import { gate } from '../support/gate.ts';
import { sseDisconnects, waitUntil } from '../support/observe.ts';
import { type OpenAiStandIn, startOpenAiStandIn } from '../support/openai-stand-in.ts';
import {
  chatCallOnLink,
  linksToEachWorker,
  logLines,
  type SseEvent,
  startWorkerPool,
  streamOnLink,
  type WorkerLink,
  waitForLog,
} from '../support/worker-pool.ts';

// WORKERS=2 on the embedded default (no Redis): a streamed turn runs on one worker, its client hangs up
// and repeats the request (same request_id) on a connection that landed on the other worker (/health
// says which). The other worker follows the turn through the primary (ClusterTurnRelay, TurnRelayHub).

const KEY = 'reattach-key-0123456789abcdef';

const stream = (url: string, link: WorkerLink, body: object) =>
  streamOnLink(`${url}${SSE_ROUTES.StartConversation}`, link, KEY, body);
const deltas = (events: SseEvent[]) =>
  events.filter((e) => e.event === 'delta').map((e) => (e.data.delta as { text: string }).text);
const isOver = (events: SseEvent[]) => events.some((e) => e.event === 'done' || e.event === 'error');

interface Described {
  messages: Array<{ content: string; interrupted?: boolean }>;
}

const session = { platform: 'cli', user_id: 'hopper' };

/** A ChatService call in Twirp JSON on the link's connection. */
const twirp = <T>(url: string, link: WorkerLink, method: string, body: object) =>
  chatCallOnLink<T>(url, link, KEY, method, body);

describe('re-attaching to a streamed turn on the other worker (WORKERS=2, no Redis)', () => {
  let model: OpenAiStandIn;
  let dataDir: string;
  let pool: ServerProcess;
  let onA: WorkerLink;
  let onB: WorkerLink;

  beforeAll(async () => {
    model = await startOpenAiStandIn();
    dataDir = await mkdtemp(join(tmpdir(), 'parley-reattach-'));
    pool = await startWorkerPool({ dataDir, openAiUrl: model.url, apiKey: KEY });
  });
  afterAll(async () => {
    await pool?.stop();
    await model?.close();
    await rm(dataDir, { recursive: true, force: true });
  });
  // A hang-up closes its connection: each test gets a fresh one to each worker.
  beforeEach(async () => {
    model.reset();
    [onA, onB] = (await linksToEachWorker(pool.url, 1)) as [WorkerLink, WorkerLink];
  });
  afterEach(() => {
    onA.agent.destroy();
    onB.agent.destroy();
  });

  const turn = () => ({ message: 'count', session, request_id: randomUUID() });

  it('gives the pieces so far, then the rest live; the turn lives on and is stored whole', async () => {
    const words = Array.from({ length: 24 }, (_, i) => `w${i}`).join(' ');
    // The answer waits after three pieces until the pool has seen A's client leave: only B following
    // can then keep the turn through A's grace. B follows before A leaves, so no timing decides it.
    const aLeft = gate();
    model.script({
      reply: words,
      stream: { chunks: 24, intervalMs: 150 },
      hold: { afterChunks: 3, until: aLeft.opened },
    });
    const body = turn();
    const first = stream(pool.url, onA, body);
    await first.until((events) => deltas(events).length >= 1);

    const again = stream(pool.url, onB, body);
    await again.until((events) => deltas(events).length >= 1);
    const readOnA = deltas(first.events).join('');
    const leftBefore = await sseDisconnects(pool.url);
    first.leave();
    await waitUntil(async () => (await sseDisconnects(pool.url)) > leftBefore);
    aLeft.open();
    await again.until(isOver);
    const [started, ...rest] = again.events;
    expect(started?.event).toBe('started');
    const pieces = deltas(rest);
    // B's first piece replays the text so far (at least A's first piece); more pieces came live after it.
    expect(pieces[0]?.startsWith(deltas(first.events)[0] ?? 'x')).toBe(true);
    expect(words.startsWith(readOnA)).toBe(true);
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces.join('')).toBe(words);
    const done = again.events.at(-1);
    expect(done?.event).toBe('done');
    const answer = done?.data.done as { reply: { content: string }; conversation: { id: string } };
    expect(answer.reply.content).toBe(words);

    const stored = await twirp<Described>(pool.url, onB, 'DescribeConversation', {
      conversation_id: answer.conversation.id,
      session,
    });
    expect(stored.messages.map((m) => [m.content, m.interrupted ?? false])).toEqual([
      ['count', false],
      [words, false],
    ]);
    expect(model.requests.filter((r) => r.path.endsWith('/chat/completions'))).toHaveLength(1);
    expect(model.aborts).toEqual([]);
  });

  it('cuts the turn short as canceled once every client on either worker has left', async () => {
    const words = Array.from({ length: 60 }, (_, i) => `w${i}`).join(' ');
    model.script({ reply: words, stream: { chunks: 60, intervalMs: 150 } });
    const body = turn();
    const first = stream(pool.url, onA, body);
    await first.until((events) => deltas(events).length >= 2);
    first.leave();
    const again = stream(pool.url, onB, body);
    await again.until((events) => deltas(events).length >= 2);
    again.leave();

    const abort = await model.nextAbort(10_000);
    expect(abort.chunksSent).toBeLessThan(60);
    // The worker running the turn (A's) says why, and it is no internal error.
    await waitForLog(pool, 'the turn cut short', (lines) =>
      lines.some((l) => l.msg === 'turn cut short: every client left' && l.worker === onA.worker),
    );
    // The next turn on the conversation waits for the cut one to let go, so it sees its partial reply.
    const started = first.events[0]?.data.started as { conversation_id: string } | undefined;
    const conversationId = started?.conversation_id ?? '';
    await twirp(pool.url, onB, 'ContinueConversation', {
      conversation_id: conversationId,
      message: 'go on',
      session,
    });
    const stored = await twirp<Described>(pool.url, onB, 'DescribeConversation', {
      conversation_id: conversationId,
      session,
    });
    expect(stored.messages.map((m) => m.interrupted ?? false)).toEqual([false, true, false, false]);
    expect(words.startsWith(stored.messages[1]?.content ?? 'x')).toBe(true);
    expect(logLines(pool).filter((l) => /internal error|unexpected error/.test(l.msg ?? ''))).toEqual([]);
  });
});
