import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { hrTimeToNanoseconds } from '@opentelemetry/core';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { createLogger } from '@parley/logger';
import { createChatClient } from '@parley/rpc';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { run } from '../../cli/src/program.ts';
import { testIo } from '../../cli/src/testing/test-io.ts';
import { installTestTracing } from '../../server/src/observability/test-tracing.ts';
import { type OpenAiStandIn, startOpenAiStandIn } from '../support/openai-stand-in.ts';
import { type RunningParley, startParley, TEST_KEY } from '../support/parley.ts';

// Spans of real turns through the real server, kept in memory by the same providers the Node SDK would
// register; the model is the OpenAI-compatible stand-in, the tool the built-in get_datetime.

const tracing = installTestTracing();
const SERVICE = 'parley.chat.v1.ChatService';
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_SPAN = '00f067aa0ba902b7';
const TRACEPARENT = `00-${TRACE_ID}-${PARENT_SPAN}-01`;

/** The server span of `method`; it ends when the response closes, a moment after the client has it. */
async function rpcSpan(method: string): Promise<ReadableSpan> {
  for (let i = 0; i < 100; i++) {
    const span = tracing.spans().find((s) => s.name === `${SERVICE}/${method}`);
    if (span) return span;
    await sleep(20);
  }
  throw new Error(`no span for ${method}`);
}

const childrenOf = (parent: ReadableSpan) =>
  tracing
    .spans()
    .filter((s) => s.parentSpanContext?.spanId === parent.spanContext().spanId)
    .sort((a, b) => Number(hrTimeToNanoseconds(a.startTime) - hrTimeToNanoseconds(b.startTime)));

describe('traces through the real server', () => {
  let model: OpenAiStandIn;
  let parley: RunningParley;
  const lines: Record<string, unknown>[] = [];

  beforeAll(async () => {
    model = await startOpenAiStandIn();
    const destination = new Writable({
      write: (chunk, _, done) => done(void lines.push(JSON.parse(String(chunk)))),
    });
    parley = await startParley({
      env: { OPENAI_BASE_URL: model.url, OPENAI_API_KEY: 'test', TOOLS: 'get_datetime' },
      logger: createLogger({ name: 'parley-test', level: 'info', pretty: false, destination }),
    });
  });
  afterAll(async () => {
    await parley.cleanup();
    await model.close();
    await tracing.uninstall();
  });
  beforeEach(() => {
    tracing.reset();
    model.reset();
    lines.length = 0;
  });

  it('makes one ContinueConversation with a tool call the tree RPC → model → tool → model', async () => {
    model.script(
      {
        toolCalls: [{ id: 't1', name: 'get_datetime', arguments: {} }],
        usage: { prompt_tokens: 40, completion_tokens: 7 },
      },
      { reply: 'It is noon.', usage: { prompt_tokens: 60, completion_tokens: 9 } },
    );
    const session = { platform: 'telegram', userId: 'tracer', chatId: 'c1' };
    await parley.client().continueConversation({ message: 'what time is it?', session });
    const rpc = await rpcSpan('ContinueConversation');
    expect(rpc.kind).toBe(SpanKind.SERVER);
    expect(rpc.parentSpanContext).toBeUndefined();
    expect(rpc.attributes).toMatchObject({
      'rpc.system': 'twirp',
      'rpc.service': SERVICE,
      'rpc.method': 'ContinueConversation',
      'rpc.status_code': 'ok',
      'http.response.status_code': 200,
    });

    const children = childrenOf(rpc);
    const turn = children.filter((s) => /^(chat|execute_tool) /.test(s.name));
    expect(turn.map((s) => s.name)).toEqual([
      'chat gpt-4o-mini',
      'execute_tool get_datetime',
      'chat gpt-4o-mini',
    ]);
    for (const [earlier, later] of [
      [turn[0], turn[1]],
      [turn[1], turn[2]],
    ] as const) {
      // Span clocks are anchored per span and can disagree by under a millisecond: allow that much.
      expect(Number(hrTimeToNanoseconds(earlier?.endTime ?? [0, 0]))).toBeLessThanOrEqual(
        Number(hrTimeToNanoseconds(later?.startTime ?? [0, 0])) + 1e6,
      );
    }
    expect(turn[0]?.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.usage.input_tokens': 40,
      'gen_ai.usage.output_tokens': 7,
      'gen_ai.response.finish_reasons': ['tool_calls'],
    });
    expect(turn[1]?.attributes).toMatchObject({
      'gen_ai.tool.name': 'get_datetime',
      'parley.tool.outcome': 'ok',
    });
    expect(turn[2]?.attributes).toMatchObject({
      'gen_ai.usage.input_tokens': 60,
      'gen_ai.usage.output_tokens': 9,
    });

    expect(children.map((s) => s.name)).toEqual(
      expect.arrayContaining([
        'session.lookup',
        'store.createWithMessage',
        'store.append',
        'store.recentMessages',
      ]),
    );
    const lookup = children.find((s) => s.name === 'session.lookup');
    expect(lookup?.attributes).toMatchObject({ 'parley.session.source': 'new' });
    expect(childrenOf(lookup as ReadableSpan).map((s) => s.name)).toContain('store.latestForChat');
    const traceIds = new Set(tracing.spans().map((s) => s.spanContext().traceId));
    expect(traceIds).toEqual(new Set([rpc.spanContext().traceId]));
    expect(JSON.stringify(tracing.spans().map((s) => s.attributes))).not.toContain('what time');
  });

  it('joins the caller’s trace from its traceparent header and logs the trace id', async () => {
    const client = createChatClient({
      baseUrl: parley.url,
      apiKey: TEST_KEY,
      headers: { traceparent: TRACEPARENT },
    });
    await client.listConversations({ session: { platform: 'cli', userId: 'tracer', chatId: '' } });
    const rpc = await rpcSpan('ListConversations');
    expect(rpc.spanContext().traceId).toBe(TRACE_ID);
    expect(rpc.parentSpanContext).toMatchObject({ traceId: TRACE_ID, spanId: PARENT_SPAN, isRemote: true });
    const access = lines.find((line) => line.msg === 'rpc');
    expect(access).toMatchObject({
      method: 'ListConversations',
      code: 'ok',
      trace_id: TRACE_ID,
      span_id: rpc.spanContext().spanId,
      requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      client: 'test',
    });
  });

  it('logs a refused call under its request id, with no client', async () => {
    const res = await fetch(`${parley.url}/twirp/parley.chat.v1.ChatService/ListConversations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'refused-1' },
      body: '{}',
    });
    expect(res.status).toBe(401);
    await expect
      .poll(() => lines.find((line) => line.msg === 'rpc'))
      .toMatchObject({
        requestId: 'refused-1',
        code: 'unauthenticated',
      });
    expect(lines.find((line) => line.msg === 'rpc')).not.toHaveProperty('client');
  });

  it('records a client error on the span without marking the span failed', async () => {
    const session = { platform: 'cli', userId: 'tracer', chatId: '' };
    await expect(
      parley.client().describeConversation({ conversationId: 'missing', session }),
    ).rejects.toThrow();
    const rpc = await rpcSpan('DescribeConversation');
    expect(rpc.attributes['rpc.status_code']).toBe('not_found');
    expect(rpc.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('continues the trace the CLI was started in (TRACEPARENT)', async () => {
    const t = testIo({ PARLEY_URL: parley.url, PARLEY_API_KEY: TEST_KEY, TRACEPARENT });
    expect(await run(['list'], t.io)).toBe(0);
    const rpc = await rpcSpan('ListConversations');
    expect(rpc.spanContext().traceId).toBe(TRACE_ID);
    expect(rpc.parentSpanContext?.spanId).toBe(PARENT_SPAN);
  });
});
