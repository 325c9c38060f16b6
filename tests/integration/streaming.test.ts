import { randomUUID } from 'node:crypto';
import {
  type ChatStreamClient,
  collectTurn,
  createChatStreamClient,
  isRpcError,
  SSE_ROUTES,
  ToolPhase,
  type TurnEvent,
} from '@parley/rpc';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ParleyOverrides } from '../../server/src/parley-server.ts';
import { gate } from '../support/gate.ts';
import { sseDisconnects, waitUntil } from '../support/observe.ts';
import { type OpenAiStandIn, startOpenAiStandIn } from '../support/openai-stand-in.ts';
import { type RunningParley, startParley, TEST_KEY, waitForRedis } from '../support/parley.ts';

const session = { platform: 'cli', userId: 'streamer', chatId: '' };

function kinds(events: TurnEvent[]): string[] {
  return events.map(({ event }) => event.oneofKind ?? 'unknown');
}

function text(events: TurnEvent[]): string {
  return events.map(({ event }) => (event.oneofKind === 'delta' ? event.delta.text : '')).join('');
}

async function all(events: AsyncIterable<TurnEvent>): Promise<TurnEvent[]> {
  const seen: TurnEvent[] = [];
  for await (const event of events) seen.push(event);
  return seen;
}

/** Reads a stream until `enough` holds for what was read, and returns that; the rest stays unread. */
async function readUntil(
  stream: AsyncGenerator<TurnEvent, void>,
  enough: (events: TurnEvent[]) => boolean,
): Promise<TurnEvent[]> {
  const read: TurnEvent[] = [];
  while (!enough(read)) {
    const next = await stream.next();
    if (next.done) throw new Error(`the stream ended first, after ${kinds(read).join(', ') || 'nothing'}`);
    read.push(next.value);
  }
  return read;
}

function chatRequests(standIn: OpenAiStandIn) {
  return standIn.requests.filter((r) => r.path.endsWith('/chat/completions'));
}

describe('streaming turns over Server-Sent Events', () => {
  let model: OpenAiStandIn;
  let parley: RunningParley;
  let streams: ChatStreamClient;

  beforeAll(async () => {
    model = await startOpenAiStandIn();
    parley = await startParley({
      env: { OPENAI_BASE_URL: model.url, OPENAI_API_KEY: 'test', TOOLS: 'get_datetime' },
      overrides: { turns: { keepAliveMs: 100 } },
    });
    streams = createChatStreamClient({ baseUrl: parley.url, apiKey: TEST_KEY, timeoutMs: 10_000 });
  });
  afterAll(async () => {
    await parley.cleanup();
    await model.close();
  });
  beforeEach(() => model.reset());

  it('streams started, the deltas and done, and stores the same turn as the unary call', async () => {
    const reply = 'Twirp is a simple RPC framework over HTTP, and it streams nicely.';
    model.script({ reply, stream: { chunks: 6 } }, { reply, stream: { chunks: 6 } });
    const events = await all(streams.streamStartConversation({ message: 'What is Twirp?', session }));
    // The first piece goes out alone, at once; the rest (here all at once) are merged per flush window.
    const deltas = kinds(events).filter((kind) => kind === 'delta').length;
    expect(kinds(events)).toEqual(['started', ...Array<string>(deltas).fill('delta'), 'done']);
    expect(deltas).toBeGreaterThanOrEqual(2);
    expect(deltas).toBeLessThan(6);
    const [first, last] = [events[0]?.event, events.at(-1)?.event];
    if (first?.oneofKind !== 'started' || last?.oneofKind !== 'done') throw new Error('bad stream');
    expect(first.started.newConversation).toBe(true);
    expect(first.started.userMessage?.content).toBe('What is Twirp?');
    expect(text(events)).toBe(reply);
    expect(last.done.reply?.content).toBe(reply);
    expect(last.done.conversation?.id).toBe(first.started.conversationId);

    const unary = await parley.client().startConversation({ message: 'What is Twirp?', session });
    const described = await parley.client().describeConversation({
      conversationId: first.started.conversationId,
      session,
    });
    expect(described.messages.map((m) => m.content)).toEqual(['What is Twirp?', reply]);
    expect(described.messages[1]).toEqual(last.done.reply);
    expect(unary.reply?.content).toBe(last.done.reply?.content);
    expect(unary.usage).toEqual(last.done.usage);
  });

  it('reports tool calls as they start and finish, between the text', async () => {
    model.script(
      {
        content: 'Let me check the time.',
        toolCalls: [{ id: 'call_t', name: 'get_datetime', arguments: {} }],
      },
      { reply: 'It is now.' },
    );
    const events = await all(
      streams.streamContinueConversation({ message: 'time?', session: { ...session, chatId: 'c1' } }),
    );
    const tools = events.flatMap(({ event }) => (event.oneofKind === 'tool' ? [event.tool] : []));
    expect(tools.map((t) => [t.phase, t.id, t.name])).toEqual([
      [ToolPhase.STARTED, 'call_t', 'get_datetime'],
      [ToolPhase.FINISHED, 'call_t', 'get_datetime'],
    ]);
    expect(tools[1]).toMatchObject({ isError: false, provenance: 'builtin' });
    expect(tools[1]?.result).toContain('utc');
    const firstTool = kinds(events).indexOf('tool');
    expect(text(events.slice(0, firstTool))).toBe('Let me check the time.');
    const last = events.at(-1)?.event;
    expect(last?.oneofKind === 'done' && last.done.reply?.content).toBe(
      'Let me check the time.\n\nIt is now.',
    );
    expect(last?.oneofKind === 'done' && last.done.reply?.toolCalls.map((t) => t.id)).toEqual(['call_t']);
  });

  it('aborts the model when the client leaves, stores the partial reply, frees the lock', async () => {
    const chat = { ...session, chatId: 'leaver' };
    // The answer stalls after two pieces and never ends by itself: only the client leaving can close it.
    model.script({
      reply: 'one two three four five six seven eight nine ten',
      stream: { chunks: 10 },
      stallAfterChunks: 3,
    });
    const controller = new AbortController();
    let conversationId = '';
    await expect(async () => {
      for await (const { event } of streams.streamContinueConversation(
        { message: 'count', session: chat },
        { signal: controller.signal },
      )) {
        if (event.oneofKind === 'started') conversationId = event.started.conversationId;
        if (event.oneofKind === 'delta') controller.abort();
      }
    }).rejects.toMatchObject({ code: 'cancelled' });
    const abort = await model.nextAbort(5_000);
    expect(abort.chunksSent).toBe(3);

    // The lock is free: the next turn on the conversation runs (and sees the partial reply stored first).
    model.script({ reply: 'again' });
    const next = await parley
      .client()
      .continueConversation({ message: 'go on', conversationId, session: chat });
    expect(next.reply?.content).toBe('again');
    const described = await parley.client().describeConversation({ conversationId, session: chat });
    const partial = described.messages[1];
    expect(partial?.interrupted).toBe(true);
    expect(partial?.content.length).toBeGreaterThan(0);
    expect('one two three four five six seven eight nine ten'.startsWith(partial?.content ?? 'x')).toBe(true);
    expect(described.messages.map((m) => m.interrupted ?? false)).toEqual([false, true, false, false]);
  });

  it('aborts the model when a unary caller hangs up too', async () => {
    model.script({ reply: 'a b c d e f g h', stream: { chunks: 8 }, stallAfterChunks: 2 });
    const controller = new AbortController();
    const call = parley
      .client()
      .continueConversation(
        { message: 'slow', session: { ...session, chatId: 'unary-leaver' } },
        { abort: controller.signal },
      );
    // Hangs up once the model call is under way (the stalled answer holds it open until then).
    await vi.waitFor(() => expect(chatRequests(model)).toHaveLength(1), { timeout: 5_000 });
    controller.abort();
    await expect(call).rejects.toBeDefined();
    const abort = await model.nextAbort(5_000);
    expect(abort.chunksSent).toBeLessThanOrEqual(2);
  });

  it('re-attaches a second request with the same request_id to the running turn; the model is called once', async () => {
    const reply = 'alpha beta gamma delta epsilon zeta';
    // The answer waits after two pieces until the reconnect is attached: it joins a running turn.
    const reattached = gate();
    model.script({ reply, stream: { chunks: 6 }, hold: { afterChunks: 3, until: reattached.opened } });
    const request = { message: 'greek', session: { ...session, chatId: 'resume' }, requestId: randomUUID() };
    const first = streams.streamContinueConversation(request);
    await readUntil(first, (events) => kinds(events).filter((k) => k === 'delta').length === 2);
    // The first client drops; a reconnect with the same request_id arrives within the grace.
    await first.return();
    const second = streams.streamContinueConversation(request);
    const started = await readUntil(second, (events) => events.length === 1);
    reattached.open();
    const resumed = [...started, ...(await all(second))];
    expect(kinds(resumed)[0]).toBe('started');
    expect(text(resumed)).toBe(reply);
    expect(kinds(resumed).at(-1)).toBe('done');
    expect(chatRequests(model)).toHaveLength(1);

    // After the turn: the stored result, as `done` on a stream and as the unary response.
    const again = await all(streams.streamContinueConversation(request));
    expect(kinds(again)).toEqual(['started', 'done']);
    const unary = await parley.client().continueConversation(request);
    expect(unary.reply?.content).toBe(reply);
    expect(chatRequests(model)).toHaveLength(1);
  });

  it('answers errors found before the first event as ordinary Twirp errors', async () => {
    const post = (body: unknown, key = TEST_KEY) =>
      fetch(`${parley.url}${SSE_ROUTES.ContinueConversation}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const unauthenticated = await post({ message: 'hi' }, 'wrong-key-0123456789');
    expect(unauthenticated.status).toBe(401);
    expect(await unauthenticated.json()).toMatchObject({ code: 'unauthenticated' });
    const empty = await post({ message: '  ', session });
    expect(empty.status).toBe(400);
    expect(await empty.json()).toMatchObject({ code: 'invalid_argument', meta: { argument: 'message' } });
    const unknown = await post({ message: 'hi', conversation_id: 'nope', session });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ code: 'not_found' });
    const malformed = await fetch(`${parley.url}${SSE_ROUTES.StartConversation}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_KEY}`, 'content-type': 'application/json' },
      body: '{"message": 1',
    });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ code: 'malformed' });
    expect(chatRequests(model)).toHaveLength(0);
  });

  it('ends a stream that already started with an error event', async () => {
    model.script({ status: 400 });
    const seen: string[] = [];
    const error = await (async () => {
      for await (const { event } of streams.streamContinueConversation({
        message: 'hi',
        session: { ...session, chatId: 'err' },
      }))
        seen.push(event.oneofKind ?? '');
    })().catch((err: unknown) => err);
    expect(seen).toEqual(['started']);
    expect(isRpcError(error) && [error.code, error.message]).toEqual([
      'failed_precondition',
      'the model rejected the request',
    ]);
  });

  it('sends keep-alive comments while the model is silent', async () => {
    // The model says nothing until the client has read a keep-alive comment.
    const keptAlive = gate();
    model.script({ reply: 'late', stream: { chunks: 1 }, hold: { afterChunks: 0, until: keptAlive.opened } });
    const response = await fetch(`${parley.url}${SSE_ROUTES.ContinueConversation}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ message: 'wait', session: { ...session, chatId: 'quiet' } }),
    });
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    let body = '';
    const decoder = new TextDecoder();
    for await (const bytes of response.body ?? []) {
      body += decoder.decode(bytes, { stream: true });
      if (body.includes('\n: keep-alive\n\n')) keptAlive.open();
    }
    expect(body).toMatch(/^event: started\n/);
    expect(body).toContain('\n: keep-alive\n\n');
    expect(body.trimEnd().split('\n\n').at(-1)).toMatch(/^event: done\ndata: \{"done":/);
  });

  it('collects a stream into the unary response shape', async () => {
    const turn = await collectTurn(streams.streamStartConversation({ message: 'hello', session }));
    expect(turn.reply?.content).toBe('Echo: hello');
    expect(turn.newConversation).toBe(true);
  });
});

/**
 * Two replicas (A and B) on one stand-in model, sharing Redis under a key prefix of their own and one
 * data dir; started before the suite's tests, stopped after them.
 */
function replicaPair(overrides?: ParleyOverrides) {
  const pair = {} as { model: OpenAiStandIn; a: RunningParley; b: RunningParley };
  beforeAll(async () => {
    pair.model = await startOpenAiStandIn();
    const env = {
      OPENAI_BASE_URL: pair.model.url,
      OPENAI_API_KEY: 'test',
      REDIS_URL: 'redis://127.0.0.1:6379',
      REDIS_KEY_PREFIX: `parley-stream-test:${randomUUID()}:`,
    };
    pair.a = await startParley({ env, ...(overrides ? { overrides } : {}) });
    pair.b = await startParley({ env, dataDir: pair.a.dataDir, ...(overrides ? { overrides } : {}) });
    await Promise.all([waitForRedis(pair.a.url), waitForRedis(pair.b.url)]);
  });
  afterAll(async () => {
    await pair.b?.stop();
    await pair.a?.cleanup();
    await pair.model?.close();
  });
  return pair;
}

describe('re-attaching across two replicas sharing Redis', () => {
  const pair = replicaPair();

  it('follows a turn running on the other replica; the model is called once', async () => {
    const { model, a, b } = pair;
    const reply = 'one replica writes, the other one reads along';
    // The answer waits after its first piece until B follows: B joins a turn that is surely running.
    const bFollows = gate();
    model.script({ reply, stream: { chunks: 8 }, hold: { afterChunks: 2, until: bFollows.opened } });
    const request = {
      message: 'relay',
      session: { ...session, chatId: 'replicas' },
      requestId: randomUUID(),
    };
    const onA = createChatStreamClient({ baseUrl: a.url, apiKey: TEST_KEY });
    const onB = createChatStreamClient({ baseUrl: b.url, apiKey: TEST_KEY });
    const onFirst = onA.streamContinueConversation(request);
    const head = await readUntil(onFirst, (events) => kinds(events).includes('delta'));
    const first = all(onFirst).then((rest) => [...head, ...rest]);
    const onSecond = onB.streamContinueConversation(request);
    const started = await readUntil(onSecond, (events) => events.length === 1);
    bFollows.open();
    const followed = [...started, ...(await all(onSecond))];
    const original = await first;
    expect(kinds(followed)[0]).toBe('started');
    expect(text(followed)).toBe(reply);
    const [done, doneA] = [followed.at(-1)?.event, original.at(-1)?.event];
    expect(done?.oneofKind === 'done' && done.done).toEqual(doneA?.oneofKind === 'done' && doneA.done);
    expect(chatRequests(model)).toHaveLength(1);
    const unary = await b.client().continueConversation(request);
    expect(unary.reply?.content).toBe(reply);
    expect(chatRequests(model)).toHaveLength(1);
  });
});

describe('re-attaching on another replica after the client left the first', () => {
  // A short grace: without the other replica's attendance, A would cut the turn long before it ends.
  const pair = replicaPair({ turns: { graceMs: 100 } });

  it('keeps the turn alive for the listener on B: the whole reply, stored whole, one model call', async () => {
    const { model, a, b } = pair;
    const words = 'one two three four five six seven eight nine ten eleven twelve';
    // The answer waits after three pieces until A has seen its client leave, so only B's attendance can
    // keep the turn going through A's grace; B follows before A's client leaves, so no timing decides it.
    const aSawLeave = gate();
    model.script({
      reply: words,
      stream: { chunks: 12, intervalMs: 80 },
      hold: { afterChunks: 3, until: aSawLeave.opened },
    });
    const request = { message: 'count', session: { ...session, chatId: 'hop' }, requestId: randomUUID() };
    const onA = createChatStreamClient({ baseUrl: a.url, apiKey: TEST_KEY });
    const onB = createChatStreamClient({ baseUrl: b.url, apiKey: TEST_KEY });
    const fromA = onA.streamContinueConversation(request);
    await readUntil(fromA, (events) => kinds(events).includes('delta'));
    const fromB = onB.streamContinueConversation(request);
    const head = await readUntil(fromB, (events) => kinds(events).includes('delta'));
    const leftBefore = await sseDisconnects(a.url);
    await fromA.return();
    await waitUntil(async () => (await sseDisconnects(a.url)) > leftBefore);
    aSawLeave.open();
    const followed = [...head, ...(await all(fromB))];
    expect(text(followed)).toBe(words);
    const done = followed.at(-1)?.event;
    if (done?.oneofKind !== 'done') throw new Error(`the stream ended with ${done?.oneofKind}`);
    expect(done.done.reply?.content).toBe(words);
    const described = await b.client().describeConversation({
      conversationId: done.done.conversation?.id ?? '',
      session: request.session,
    });
    expect(described.messages.map((m) => [m.content, m.interrupted ?? false])).toEqual([
      ['count', false],
      [words, false],
    ]);
    expect(chatRequests(model)).toHaveLength(1);
  });
});
