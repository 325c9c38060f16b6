import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type OpenAiStandIn, startOpenAiStandIn } from '../support/openai-stand-in.ts';
import { type RunningParley, startParley, TEST_KEY } from '../support/parley.ts';

// The OpenAI-compatible front door, driven by the real `openai` SDK against the real server on loopback.

const CONVERSATION = 'x-parley-conversation-id';

describe('the OpenAI-compatible API through the openai SDK', () => {
  let model: OpenAiStandIn;
  let parley: RunningParley;
  let openai: OpenAI;

  beforeAll(async () => {
    model = await startOpenAiStandIn();
    parley = await startParley({
      env: {
        OPENAI_BASE_URL: model.url,
        OPENAI_API_KEY: 'test',
        TOOLS: 'get_datetime',
        OPENAI_MODEL: 'stand-in',
        OPENAI_MAX_RETRIES: '0',
      },
    });
    openai = client();
  });
  afterAll(async () => {
    await parley.cleanup();
    await model.close();
  });
  beforeEach(() => model.reset());

  const client = (options: ConstructorParameters<typeof OpenAI>[0] = {}) =>
    new OpenAI({ baseURL: `${parley.url}/v1`, apiKey: TEST_KEY, maxRetries: 0, timeout: 10_000, ...options });

  const conversation = async (id: string, user: string) => {
    const described = await parley
      .client()
      .describeConversation({ conversationId: id, session: { platform: '', userId: user, chatId: '' } });
    return described.messages.map((m) => [m.content, m.interrupted === true]);
  };

  it('answers a completion and stores it as a conversation of the key’s client and the user', async () => {
    model.script({ reply: 'Hello from Parley!', usage: { prompt_tokens: 12, completion_tokens: 4 } });
    const { data, response } = await openai.chat.completions
      .create({ model: 'parley', messages: [{ role: 'user', content: 'Hi' }], user: 'ada' })
      .withResponse();
    expect(data).toMatchObject({
      object: 'chat.completion',
      model: 'parley',
      choices: [
        { index: 0, message: { role: 'assistant', content: 'Hello from Parley!' }, finish_reason: 'stop' },
      ],
      usage: { prompt_tokens: 12, completion_tokens: 4, total_tokens: 16 },
    });
    expect(data.id).toMatch(/^chatcmpl-/);
    const id = response.headers.get(CONVERSATION) ?? '';
    expect(await conversation(id, 'ada')).toEqual([
      ['Hi', false],
      ['Hello from Parley!', false],
    ]);
    // The operator's system prompt leads the model's context.
    expect(model.requests[0]?.body.messages?.[0]?.role).toBe('system');
  });

  it('continues the stored conversation when the history is its transcript, and starts another when edited', async () => {
    model.script({ reply: 'Four.' }, { reply: 'Eight.' }, { reply: 'Sixteen?' });
    const first = await openai.chat.completions
      .create({ model: 'parley', messages: [{ role: 'user', content: '2+2?' }], user: 'bo' })
      .withResponse();
    const history = [
      { role: 'user' as const, content: '2+2?' },
      { role: 'assistant' as const, content: first.data.choices[0]?.message.content ?? '' },
    ];
    const second = await openai.chat.completions
      .create({ model: 'parley', messages: [...history, { role: 'user', content: 'Doubled?' }], user: 'bo' })
      .withResponse();
    const id = first.response.headers.get(CONVERSATION);
    expect(second.response.headers.get(CONVERSATION)).toBe(id);
    const edited = [
      { role: 'user' as const, content: '2+2?' },
      { role: 'assistant' as const, content: 'Five.' },
    ];
    const third = await openai.chat.completions
      .create({ model: 'parley', messages: [...edited, { role: 'user', content: 'Doubled?' }], user: 'bo' })
      .withResponse();
    expect(third.response.headers.get(CONVERSATION)).not.toBe(id);
    expect((await conversation(id ?? '', 'bo')).map(([text]) => text)).toEqual([
      '2+2?',
      'Four.',
      'Doubled?',
      'Eight.',
    ]);
    // The model read the request's messages, as the client sent them.
    expect(model.requests[2]?.body.messages?.map((m) => m.content)).toEqual([
      expect.any(String),
      '2+2?',
      'Five.',
      'Doubled?',
    ]);
  });

  it('streams chunks with the usage last and [DONE], then stores the reply', async () => {
    const reply = 'Streaming through the OpenAI door works nicely.';
    model.script({ reply, stream: { chunks: 5 }, usage: { prompt_tokens: 9, completion_tokens: 11 } });
    const { data: stream, response } = await openai.chat.completions
      .create({
        model: 'parley',
        messages: [{ role: 'user', content: 'Stream please' }],
        stream: true,
        stream_options: { include_usage: true },
        user: 'cy',
      })
      .withResponse();
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.every((c) => c.object === 'chat.completion.chunk')).toBe(true);
    expect(chunks[0]?.choices[0]?.delta.role).toBe('assistant');
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe(reply);
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe('stop');
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 9, completion_tokens: 11 } });
    expect((await conversation(response.headers.get(CONVERSATION) ?? '', 'cy')).at(-1)).toEqual([
      reply,
      false,
    ]);
  });

  it('runs the client’s tool through a round trip while Parley’s own tools run inside the turn', async () => {
    const tools = [
      {
        type: 'function' as const,
        function: {
          name: 'lookup_order',
          parameters: { type: 'object', properties: { id: { type: 'number' } } },
        },
      },
    ];
    model.script(
      { toolCalls: [{ name: 'get_datetime', arguments: { timezone: 'UTC' } }] },
      { toolCalls: [{ id: 'call_lookup', name: 'lookup_order', arguments: { id: 7 } }] },
      { reply: 'Order 7 shipped today.' },
    );
    const messages: OpenAI.ChatCompletionMessageParam[] = [
      { role: 'user', content: 'Where is order 7, today?' },
    ];
    const first = await openai.chat.completions
      .create({ model: 'parley', messages, tools, user: 'di' })
      .withResponse();
    const choice = first.data.choices[0];
    expect(choice?.finish_reason).toBe('tool_calls');
    const call = choice?.message.tool_calls?.[0];
    expect(call).toMatchObject({ id: 'call_lookup', type: 'function', function: { name: 'lookup_order' } });
    // The model saw both kinds of tool; Parley ran its own before asking the client.
    const offered = (model.requests[0]?.body.tools ?? []) as Array<{ function: { name: string } }>;
    expect(offered.map((t) => t.function.name).sort()).toEqual(['get_datetime', 'lookup_order']);
    expect(model.requests[1]?.body.messages?.some((m) => m.role === 'tool')).toBe(true);

    messages.push(choice?.message as OpenAI.ChatCompletionMessageParam, {
      role: 'tool',
      tool_call_id: call?.id ?? '',
      content: '{"status":"shipped"}',
    });
    const second = await openai.chat.completions
      .create({ model: 'parley', messages, tools, user: 'di' })
      .withResponse();
    expect(second.data.choices[0]).toMatchObject({
      finish_reason: 'stop',
      message: { content: 'Order 7 shipped today.' },
    });
    expect(second.response.headers.get(CONVERSATION)).toBe(first.response.headers.get(CONVERSATION));
    const last = model.requests[2]?.body.messages?.at(-1);
    expect(last).toMatchObject({
      role: 'tool',
      tool_call_id: 'call_lookup',
      content: '{"status":"shipped"}',
    });
  });

  it('streams a client tool call with finish_reason tool_calls', async () => {
    const tools = [
      { type: 'function' as const, function: { name: 'lookup_order', parameters: { type: 'object' } } },
    ];
    model.script({ toolCalls: [{ id: 'call_s', name: 'lookup_order', arguments: { id: 1 } }] });
    const stream = await openai.chat.completions.create({
      model: 'parley',
      messages: [{ role: 'user', content: 'Order 1?' }],
      tools,
      stream: true,
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    const calls = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
    expect(calls).toEqual([
      { index: 0, id: 'call_s', type: 'function', function: { name: 'lookup_order', arguments: '{"id":1}' } },
    ]);
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe('tool_calls');
  });

  it('stores nothing with store: false, and still answers', async () => {
    model.script({ reply: 'Off the record.' });
    const { data, response } = await openai.chat.completions
      .create({ model: 'parley', messages: [{ role: 'user', content: 'Secret' }], store: false, user: 'eve' })
      .withResponse();
    expect(data.choices[0]?.message.content).toBe('Off the record.');
    expect(response.headers.get(CONVERSATION)).toBeNull();
    const listed = await parley
      .client()
      .listConversations({ session: { platform: '', userId: 'eve', chatId: '' } });
    expect(listed.conversations).toEqual([]);
  });

  it('lists the models this key may use and retrieves one', async () => {
    const ids = [];
    for await (const m of openai.models.list()) ids.push(m.id);
    expect(ids).toEqual(['parley', 'stand-in']);
    expect(await openai.models.retrieve('stand-in')).toMatchObject({ id: 'stand-in', object: 'model' });
    await expect(openai.models.retrieve('gpt-5-secret')).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  it('answers errors in OpenAI’s shape, mapped to the SDK’s error classes', async () => {
    const bad = client({ apiKey: 'not-a-key-0123456789' });
    await expect(bad.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    const badRequest = openai.chat.completions.create({ model: 'parley', messages: [] });
    await expect(badRequest).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    await expect(badRequest).rejects.toMatchObject({
      status: 400,
      param: 'messages',
      type: 'invalid_request_error',
    });
    const unknownModel = openai.chat.completions.create({
      model: 'gpt-5-secret',
      messages: [{ role: 'user', content: 'x' }],
    });
    await expect(unknownModel).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(unknownModel).rejects.toMatchObject({ code: 'model_not_found', param: 'model' });
    // The default policy lets no client add to the system prompt: refused, not silently dropped.
    const withSystem = openai.chat.completions.create({
      model: 'parley',
      messages: [
        { role: 'system', content: 'You are a pirate.' },
        { role: 'user', content: 'Hi' },
      ],
    });
    await expect(withSystem).rejects.toBeInstanceOf(OpenAI.PermissionDeniedError);
    await expect(withSystem).rejects.toMatchObject({ param: 'system_prompt' });
    model.script({ status: 500 });
    const broken = openai.chat.completions.create({
      model: 'parley',
      messages: [{ role: 'user', content: 'x' }],
    });
    await expect(broken).rejects.toBeInstanceOf(OpenAI.InternalServerError);
    await expect(broken).rejects.toMatchObject({ status: 503 });
    const missing = await fetch(`${parley.url}/v1/embeddings`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_KEY}` },
    });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({
      error: { type: 'invalid_request_error', code: 'unknown_url' },
    });
    // Counted like every other call, by method and code (no user or conversation labels).
    const metrics = await (await fetch(`${parley.url}/metrics`)).text();
    expect(metrics).toMatch(/parley_rpc_requests_total\{method="OpenAiChatCompletions",code="ok"\} [1-9]/);
    expect(metrics).toMatch(
      /parley_rpc_requests_total\{method="OpenAiChatCompletions",code="permission_denied"\} [1-9]/,
    );
    expect(metrics).toMatch(
      /parley_rpc_requests_total\{method="OpenAiListModels",code="unauthenticated"\} 1/,
    );
  });
});
