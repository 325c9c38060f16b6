import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { type OpenAiStandIn, startOpenAiStandIn } from '../support/openai-stand-in.ts';
import { type RunningParley, startParley, TEST_KEY } from '../support/parley.ts';

// Retries, hang-ups, idempotency and keep-alive of the OpenAI-compatible API, through the real SDK.

const CONVERSATION = 'x-parley-conversation-id';

describe('the OpenAI-compatible API under retries and hang-ups', () => {
  let model: OpenAiStandIn;
  let parley: RunningParley;

  beforeAll(async () => {
    model = await startOpenAiStandIn();
    parley = await startParley({
      env: {
        OPENAI_BASE_URL: model.url,
        OPENAI_API_KEY: 'test',
        OPENAI_MAX_RETRIES: '0',
        TOOLS: 'get_datetime',
        // Completions may carry files: their body limit is MAX_BODY_BYTES plus the files' (as base64).
        ATTACHMENT_MAX_TURN_BYTES: '100000',
      },
      overrides: { turns: { keepAliveMs: 50, graceMs: 0 } },
    });
  });
  afterAll(async () => {
    await parley.cleanup();
    await model.close();
  });
  beforeEach(() => model.reset());

  const client = (maxRetries = 0) =>
    new OpenAI({ baseURL: `${parley.url}/v1`, apiKey: TEST_KEY, maxRetries, timeout: 10_000 });
  const chatRequests = () => model.requests.filter((r) => r.path.endsWith('/chat/completions'));

  it('answers 429 with retry-after, and the SDK retries after waiting that long', async () => {
    model.script({ status: 429, headers: { 'retry-after': '1' } }, { reply: 'Worth the wait.' });
    const completion = await client(1).chat.completions.create({
      model: 'parley',
      messages: [{ role: 'user', content: 'Busy?' }],
    });
    expect(completion.choices[0]?.message.content).toBe('Worth the wait.');
    const [first, second] = chatRequests();
    expect((second?.receivedAt ?? 0) - (first?.receivedAt ?? 0)).toBeGreaterThanOrEqual(950);
  });

  it('hands the SDK a RateLimitError with the retry-after when it does not retry', async () => {
    model.script({ status: 429, headers: { 'retry-after': '7' } });
    const refused = client(0).chat.completions.create({
      model: 'parley',
      messages: [{ role: 'user', content: 'x' }],
    });
    await expect(refused).rejects.toBeInstanceOf(OpenAI.RateLimitError);
    const error = (await refused.catch((e: unknown) => e)) as InstanceType<typeof OpenAI.RateLimitError>;
    expect(error.headers.get('retry-after')).toBe('7');
    expect(error.error).toMatchObject({ type: 'rate_limit_error', code: 'rate_limit_exceeded' });
  });

  it('stops the model call when the client hangs up mid-stream and stores the partial reply as interrupted', async () => {
    const reply = 'one two three four five six seven eight nine ten eleven twelve';
    model.script({ reply, stream: { chunks: 12, intervalMs: 40 } });
    const { data: stream, response } = await client()
      .chat.completions.create({
        model: 'parley',
        messages: [{ role: 'user', content: 'Count slowly' }],
        stream: true,
        user: 'quitter',
      })
      .withResponse();
    let text = '';
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (text.length > 0) break;
    }
    const abort = await model.nextAbort();
    expect(abort.chunksSent).toBeLessThan(12);
    const id = response.headers.get(CONVERSATION) ?? '';
    const session = { platform: '', userId: 'quitter', chatId: '' };
    await vi.waitFor(
      async () => {
        const { messages } = await parley.client().describeConversation({ conversationId: id, session });
        expect(messages.at(-1)).toMatchObject({ interrupted: true });
        expect(reply.startsWith(messages.at(-1)?.content ?? 'x')).toBe(true);
      },
      { timeout: 5_000, interval: 20 },
    );
  });

  it('ends a stream whose model fails after it began with an error event the SDK raises', async () => {
    model.script({ dropConnection: true });
    const stream = await client().chat.completions.create({
      model: 'parley',
      messages: [{ role: 'user', content: 'Fail midway' }],
      stream: true,
    });
    const read = (async () => {
      for await (const _ of stream);
    })();
    await expect(read).rejects.toBeInstanceOf(OpenAI.APIError);
    await expect(read).rejects.toMatchObject({
      error: { type: 'server_error', code: 'service_unavailable' },
    });
  });

  it('honours Idempotency-Key: a retry gets the first answer and the model is asked once', async () => {
    model.script({ reply: 'Only once.' });
    const headers = { 'Idempotency-Key': `idem-${Date.now()}` };
    const body = { model: 'parley', messages: [{ role: 'user' as const, content: 'Charge me once' }] };
    const first = await client().chat.completions.create(body, { headers });
    const again = await client().chat.completions.create(body, { headers });
    expect(again.id).toBe(first.id);
    expect(again.choices[0]?.message.content).toBe('Only once.');
    const streamed = await client().chat.completions.create({ ...body, stream: true }, { headers });
    let text = '';
    for await (const chunk of streamed) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('Only once.');
    expect(chatRequests()).toHaveLength(1);
  });

  it('keeps a stream alive with comments while a slow round runs', async () => {
    model.script(
      { toolCalls: [{ name: 'get_datetime', arguments: { timezone: 'UTC' } }] },
      // biome-ignore lint/suspicious/noThenProperty: the stand-in's delay step names its follow-up `then`.
      { delayMs: 300, then: { reply: 'It is noon.' } },
    );
    const response = await fetch(`${parley.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'parley', messages: [{ role: 'user', content: 'Time?' }], stream: true }),
    });
    const raw = await response.text();
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(raw).toContain(': keep-alive\n\n');
    expect(raw.trimEnd().endsWith('data: [DONE]')).toBe(true);
  });

  it('refuses a body over the size limit with 413 in OpenAI’s shape', async () => {
    const response = await fetch(`${parley.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'parley', messages: [{ role: 'user', content: 'x'.repeat(2_000_000) }] }),
    });
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ error: { code: 'request_too_large' } });
  });
});
