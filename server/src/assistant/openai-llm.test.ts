import { createServer as createHttpServer } from 'node:http';
import { type AddressInfo, createServer } from 'node:net';
import { Writable } from 'node:stream';
import { createLogger } from '@parley/logger';
import { APIError } from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { gate } from '../../../tests/support/gate.ts';
import { type OpenAiStandIn, startOpenAiStandIn } from '../../../tests/support/openai-stand-in.ts';
import type { AppError } from '../errors/app-error.ts';
import type { LlmRequest } from './llm.ts';
import { retryAfterMs } from './openai-failure.ts';
import { OpenAiLlm, type OpenAiLlmOptions } from './openai-llm.ts';

let standIn: OpenAiStandIn;
let logLines: Array<{ level: number; msg: string; [key: string]: unknown }>;

beforeAll(async () => {
  standIn = await startOpenAiStandIn();
});
afterAll(() => standIn.close());
beforeEach(() => {
  standIn.reset();
  logLines = [];
});

function makeLlm(overrides: Partial<OpenAiLlmOptions> = {}): OpenAiLlm {
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  return new OpenAiLlm({
    apiKey: 'sk-test-secret',
    baseUrl: standIn.url,
    model: 'gpt-test',
    timeoutMs: 2_000,
    maxRetries: 2,
    // Millisecond backoff keeps retry tests fast; retry-after waits are what the tests time.
    backoff: { initialDelayMs: 1, maxDelayMs: 5 },
    logger: createLogger({ name: 'test', level: 'debug', pretty: false, destination }),
    ...overrides,
  });
}

const hello = { messages: [{ role: 'user' as const, content: 'hello' }] };

async function failure(llm: OpenAiLlm, request: LlmRequest = hello): Promise<AppError> {
  return llm.complete(request).then(
    () => expect.fail('expected the call to fail'),
    (err: AppError) => err,
  );
}

describe('OpenAiLlm', () => {
  it('returns the reply with its usage and model', async () => {
    standIn.script({ reply: 'Hi there', usage: { prompt_tokens: 12, completion_tokens: 3 } });
    const response = await makeLlm().complete(hello);
    expect(response).toEqual({
      content: 'Hi there',
      toolCalls: [],
      usage: { promptTokens: 12, completionTokens: 3, totalTokens: 15 },
      model: 'gpt-test',
    });
  });

  it('parses tool calls', async () => {
    standIn.script({ toolCalls: [{ id: 'call_7', name: 'get_weather', arguments: { city: 'Oslo' } }] });
    const response = await makeLlm().complete(hello);
    expect(response.content).toBe('');
    expect(response.toolCalls).toEqual([{ id: 'call_7', name: 'get_weather', arguments: '{"city":"Oslo"}' }]);
  });

  it('sends messages and tools in the OpenAI shape', async () => {
    const parameters = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] };
    await makeLlm().complete({
      model: 'gpt-other',
      maxTokens: 100,
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'weather in Oslo?' },
        {
          role: 'assistant',
          content: '',
          toolCalls: [{ id: 'c1', name: 'get_weather', arguments: '{"city":"Oslo"}' }],
        },
        { role: 'tool', content: 'sunny', toolCallId: 'c1' },
      ],
      tools: [{ name: 'get_weather', description: 'Current weather', parameters }],
    });
    const [request] = standIn.requests;
    expect(request?.headers.authorization).toBe('Bearer sk-test-secret');
    // The SDK's headers, as its (patched: server/patches) header merge builds them.
    expect(request?.headers).toMatchObject({
      'content-type': 'application/json',
      accept: 'application/json',
      'user-agent': expect.stringMatching(/^OpenAI\/JS /),
      'x-stainless-retry-count': '0',
    });
    expect(request?.body).toEqual({
      model: 'gpt-other',
      stream: true,
      stream_options: { include_usage: true },
      max_completion_tokens: 100,
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'weather in Oslo?' },
        {
          role: 'assistant',
          content: '',
          tool_calls: [
            { id: 'c1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } },
          ],
        },
        { role: 'tool', content: 'sunny', tool_call_id: 'c1' },
      ],
      tools: [
        {
          type: 'function',
          function: { name: 'get_weather', description: 'Current weather', parameters, strict: true },
        },
      ],
    });
  });

  it('streams, asks for usage, and reports each piece of text as it arrives', async () => {
    standIn.script({ reply: 'Hello there, streaming world', stream: { chunks: 4 } });
    const pieces: string[] = [];
    const response = await makeLlm().complete({ ...hello, onDelta: (text) => pieces.push(text) });
    expect(standIn.requests[0]?.body).toMatchObject({
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(pieces.length).toBe(4);
    expect(pieces.join('')).toBe('Hello there, streaming world');
    expect(response.content).toBe('Hello there, streaming world');
  });

  it('assembles streamed tool calls and text said before them', async () => {
    standIn.script({
      content: 'Let me look.',
      toolCalls: [
        { id: 'call_1', name: 'get_weather', arguments: { city: 'Oslo', days: 3 } },
        { id: 'call_2', name: 'get_datetime', arguments: {} },
      ],
    });
    const response = await makeLlm().complete(hello);
    expect(response.content).toBe('Let me look.');
    expect(response.toolCalls).toEqual([
      { id: 'call_1', name: 'get_weather', arguments: '{"city":"Oslo","days":3}' },
      { id: 'call_2', name: 'get_datetime', arguments: '{}' },
    ]);
  });

  it('leaves out an empty tools list and estimates usage a provider does not report', async () => {
    standIn.script({ reply: 'x'.repeat(40), usage: 'none' });
    const response = await makeLlm().complete({ ...hello, tools: [] });
    expect(standIn.requests[0]?.body).not.toHaveProperty('tools');
    expect(response.usage).toEqual({ promptTokens: 2, completionTokens: 10, totalTokens: 12 });
    expect(response.model).toBe('gpt-test');
  });

  it('does not retry once text was told, so no text is told twice', async () => {
    // A provider that breaks off mid-answer: one piece of text, then the connection drops.
    let calls = 0;
    const told = gate();
    const broken = createHttpServer((_req, res) => {
      calls++;
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const chunk = { id: 'c', object: 'chat.completion.chunk', created: 0, model: 'm' };
      res.write(
        `data: ${JSON.stringify({ ...chunk, choices: [{ index: 0, delta: { content: 'Hel' } }] })}\n\n`,
      );
      // Dropped once the client has told the piece, so the drop surely comes after the text.
      void told.opened.then(() => res.socket?.destroy());
    });
    await new Promise<void>((resolve) => broken.listen(0, '127.0.0.1', resolve));
    const { port } = broken.address() as AddressInfo;
    const pieces: string[] = [];
    try {
      const llm = makeLlm({ baseUrl: `http://127.0.0.1:${port}/v1` });
      const onDelta = (t: string) => {
        pieces.push(t);
        told.open();
      };
      const error = await failure(llm, { ...hello, onDelta });
      expect(error.code).toBe('unavailable');
      expect(calls).toBe(1);
      expect(pieces).toEqual(['Hel']);
    } finally {
      broken.closeAllConnections();
      await new Promise((resolve) => broken.close(resolve));
    }
  });

  it('aborts the provider request when the caller aborts mid-answer', async () => {
    // The answer stalls after two pieces: only the abort can end it.
    standIn.script({ reply: 'one two three four five six', stream: { chunks: 6 }, stallAfterChunks: 3 });
    const controller = new AbortController();
    const error = await failure(makeLlm(), {
      ...hello,
      signal: controller.signal,
      onDelta: () => controller.abort(),
    });
    expect(error.code).toBe('aborted');
    const abort = await standIn.nextAbort(5_000);
    expect(abort.chunksSent).toBeLessThanOrEqual(3);
  });

  it('retries a 500 once and then succeeds', async () => {
    standIn.script({ status: 500 }, { reply: 'recovered' });
    const response = await makeLlm().complete(hello);
    expect(response.content).toBe('recovered');
    expect(standIn.requests).toHaveLength(2);
  });

  it('retries a dropped connection', async () => {
    standIn.script({ dropConnection: true }, { reply: 'back' });
    expect((await makeLlm().complete(hello)).content).toBe('back');
    expect(standIn.requests).toHaveLength(2);
  });

  it('waits as long as retry-after-ms asks before retrying', async () => {
    standIn.script({ status: 429, headers: { 'retry-after-ms': '200' } }, { reply: 'ok' });
    await makeLlm().complete(hello);
    const [first, second] = standIn.requests.map((request) => request.receivedAt);
    expect((second ?? Number.NaN) - (first ?? Number.NaN)).toBeGreaterThanOrEqual(200);
  });

  it('reports rate limiting with retry_after once retries run out', async () => {
    const limited = { status: 429, headers: { 'retry-after-ms': '10' } };
    standIn.script(limited, limited, limited);
    const error = await failure(makeLlm());
    expect(standIn.requests).toHaveLength(3);
    expect(error.code).toBe('resource_exhausted');
    expect(error.message).toBe('the model is rate limited; try again shortly');
    expect(error.meta).toEqual({ retry_after: '1' });
  });

  it('gives up at once when retry-after is longer than the cap', async () => {
    standIn.script({ status: 429, headers: { 'retry-after': '120' } });
    const error = await failure(makeLlm());
    expect(standIn.requests).toHaveLength(1);
    expect(error.code).toBe('resource_exhausted');
    expect(error.meta).toEqual({ retry_after: '120' });
  });

  it('does not retry a 400 and hides the provider text', async () => {
    const providerText = "This model's maximum context length is 128000 tokens.";
    standIn.script({
      status: 400,
      body: {
        error: {
          message: providerText,
          type: 'invalid_request_error',
          param: 'messages',
          code: 'context_length_exceeded',
        },
      },
    });
    const error = await failure(makeLlm());
    expect(standIn.requests).toHaveLength(1);
    expect(error.code).toBe('failed_precondition');
    expect(error.message).toBe('the model rejected the request');
    expect(error.cause).toBeInstanceOf(APIError);
  });

  it('turns a 401 into unavailable and logs it as an operator error without the key', async () => {
    standIn.script({ status: 401 });
    const error = await failure(makeLlm());
    expect(standIn.requests).toHaveLength(1);
    expect(error.code).toBe('unavailable');
    expect(error.message).toBe("the model endpoint rejected the server's credentials");
    expect(logLines.filter((line) => line.level === 50)).toHaveLength(1);
    expect(JSON.stringify(logLines)).not.toContain('sk-test-secret');
  });

  it('times out a model that never answers, retrying it first', async () => {
    standIn.script({ hang: true }, { hang: true });
    const error = await failure(makeLlm({ timeoutMs: 300, maxRetries: 1 }));
    expect(standIn.requests).toHaveLength(2);
    expect(error.code).toBe('deadline_exceeded');
    expect(error.message).toBe('the model did not answer in time');
  });

  it('reports an endpoint nobody listens on as unreachable', async () => {
    const error = await failure(
      makeLlm({ baseUrl: `http://127.0.0.1:${await closedPort()}/v1`, maxRetries: 0 }),
    );
    expect(error.code).toBe('unavailable');
    expect(error.message).toBe('the model endpoint cannot be reached');
  });

  it('opens the circuit after consecutive failures, fails fast, then half-opens', async () => {
    // Only Date is faked: the breaker reads Date.now(), while HTTP keeps its real timers.
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const llm = makeLlm({ maxRetries: 0, breaker: { threshold: 3, halfOpenAfterMs: 30_000 } });
      standIn.script({ status: 503 }, { status: 503 }, { status: 503 });
      for (let i = 0; i < 3; i++) expect((await failure(llm)).code).toBe('unavailable');

      vi.setSystemTime(Date.now() + 29_000);
      const fast = await failure(llm);
      expect(fast.message).toBe('the model is unavailable right now; try again shortly');
      expect(standIn.requests).toHaveLength(3);

      vi.setSystemTime(Date.now() + 1_001);
      expect((await llm.complete(hello)).content).toBe('Echo: hello');
      expect(standIn.requests).toHaveLength(4);
    } finally {
      vi.useRealTimers();
    }
  });

  it('does not count rejected requests against the circuit', async () => {
    const llm = makeLlm({ breaker: { threshold: 2 } });
    standIn.script({ status: 400 }, { status: 400 }, { status: 400 });
    for (let i = 0; i < 3; i++) expect((await failure(llm)).code).toBe('failed_precondition');
    expect(standIn.requests).toHaveLength(3);
  });

  // The provider asks for the longest wait still retried (30 s, the cap): a wait served out instead of
  // cut short outlasts this test's 10 s timeout.
  it('stops waiting for a retry as soon as the caller aborts', { timeout: 10_000 }, async () => {
    standIn.script({ status: 429, headers: { 'retry-after-ms': '30000' } });
    const controller = new AbortController();
    const pending = failure(makeLlm(), { ...hello, signal: controller.signal });
    await vi.waitFor(() => expect(logLines.some((line) => line.msg === 'retrying')).toBe(true), {
      timeout: 5_000,
    });
    controller.abort();
    expect((await pending).code).toBe('aborted');
    expect(standIn.requests).toHaveLength(1);
  });
});

describe('retryAfterMs', () => {
  const rateLimited = (headers: Record<string, string>) =>
    new APIError(429, undefined, undefined, new Headers(headers));

  it('reads milliseconds, seconds and HTTP dates', () => {
    expect(retryAfterMs(rateLimited({ 'retry-after-ms': '250' }))).toBe(250);
    expect(retryAfterMs(rateLimited({ 'retry-after': '1.5' }))).toBe(1_500);
    const now = Date.parse('2030-01-01T00:00:00Z');
    expect(retryAfterMs(rateLimited({ 'retry-after': 'Tue, 01 Jan 2030 00:00:05 GMT' }), now)).toBe(5_000);
  });

  it('ignores absent and unreadable values', () => {
    expect(retryAfterMs(rateLimited({}))).toBeUndefined();
    expect(retryAfterMs(rateLimited({ 'retry-after': 'soon' }))).toBeUndefined();
    expect(retryAfterMs(new Error('no headers'))).toBeUndefined();
  });
});

/** A port that was free a moment ago, so connecting to it is refused. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
