import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import OpenAI, { type APIError } from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type OpenAiStandIn, startOpenAiStandIn } from './openai-stand-in.ts';

let standIn: OpenAiStandIn;
let client: OpenAI;

beforeAll(async () => {
  standIn = await startOpenAiStandIn();
  client = new OpenAI({ apiKey: 'test-key', baseURL: standIn.url, maxRetries: 0, timeout: 5_000 });
});
afterAll(() => standIn.close());
beforeEach(() => standIn.reset());

describe('the OpenAI stand-in', () => {
  it('echoes the last user message by default, with usage', async () => {
    const completion = await client.chat.completions.create({
      model: 'gpt-test',
      messages: [
        { role: 'user', content: 'first' },
        { role: 'assistant', content: 'ok' },
        { role: 'user', content: 'second' },
      ],
    });
    expect(completion.choices[0]?.message.content).toBe('Echo: second');
    expect(completion.model).toBe('gpt-test');
    expect(completion.usage?.prompt_tokens).toBeGreaterThan(0);
    expect(standIn.requests[0]?.path).toBe('/v1/chat/completions');
  });

  it('streams content and usage to the SDK', async () => {
    standIn.script({ reply: 'a longer streamed answer', usage: { prompt_tokens: 7, completion_tokens: 5 } });
    const stream = await client.chat.completions.create({
      model: 'gpt-test',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let content = '';
    let deltas = 0;
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      const piece = chunk.choices[0]?.delta.content;
      if (piece) {
        content += piece;
        deltas++;
      }
      if (chunk.usage) usage = chunk.usage;
    }
    expect(content).toBe('a longer streamed answer');
    expect(deltas).toBeGreaterThan(1);
    expect(usage).toMatchObject({ prompt_tokens: 7, completion_tokens: 5, total_tokens: 12 });
  });

  it('streams tool-call deltas that the SDK reassembles', async () => {
    standIn.script({ toolCalls: [{ id: 'call_1', name: 'get_weather', arguments: { city: 'Lisbon' } }] });
    const stream = client.chat.completions.stream({
      model: 'gpt-test',
      messages: [{ role: 'user', content: 'weather?' }],
    });
    const completion = await stream.finalChatCompletion();
    const choice = completion.choices[0];
    expect(choice?.finish_reason).toBe('tool_calls');
    expect(choice?.message.tool_calls).toEqual([
      { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Lisbon"}' } },
    ]);
  });

  it('paces a streamed reply over the chunks and interval asked for', async () => {
    standIn.script({ reply: 'one two three four five', stream: { chunks: 5, intervalMs: 60 } });
    const started = Date.now();
    const stream = await client.chat.completions.create({
      model: 'gpt-test',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
    });
    const arrivals: Array<[string, number]> = [];
    for await (const chunk of stream) {
      const piece = chunk.choices[0]?.delta.content;
      if (piece) arrivals.push([piece, Date.now() - started]);
    }
    expect(arrivals.map(([piece]) => piece).join('')).toBe('one two three four five');
    expect(arrivals).toHaveLength(5);
    // A lower bound from the request on: the stand-in waits four intervals between its five chunks, so
    // the last cannot arrive sooner (a loaded client may read the first late and the rest at once).
    expect(arrivals[4]?.[1] ?? 0).toBeGreaterThanOrEqual(4 * 55);
  });

  it('streams text, then tool-call arguments across several chunks, then usage', async () => {
    standIn.script({
      content: 'Let me look.',
      toolCalls: [{ id: 'call_7', name: 'get_weather', arguments: { location: 'Paris', days: 2 } }],
      usage: { prompt_tokens: 11, completion_tokens: 4 },
    });
    const stream = await client.chat.completions.create({
      model: 'gpt-test',
      messages: [{ role: 'user', content: 'weather?' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let args = '';
    let argumentChunks = 0;
    let usage: OpenAI.CompletionUsage | null | undefined;
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      const choice = chunk.choices[0];
      text += choice?.delta.content ?? '';
      for (const call of choice?.delta.tool_calls ?? []) {
        if (call.function?.arguments) {
          args += call.function.arguments;
          argumentChunks++;
        }
      }
      finish = choice?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe('Let me look.');
    expect(JSON.parse(args)).toEqual({ location: 'Paris', days: 2 });
    expect(argumentChunks).toBeGreaterThan(1);
    expect(finish).toBe('tool_calls');
    expect(usage).toMatchObject({ prompt_tokens: 11, completion_tokens: 4, total_tokens: 15 });
  });

  it('records when the client aborts a stream midway', async () => {
    // Stalls after four chunks: the answer can only end by the client leaving.
    standIn.script({ reply: 'x'.repeat(100), stream: { chunks: 20 }, stallAfterChunks: 4 });
    const controller = new AbortController();
    const stream = await client.chat.completions.create(
      { model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }], stream: true },
      { signal: controller.signal },
    );
    // The SDK ends the iteration quietly when its signal aborts.
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta.content) controller.abort();
    }
    const abort = await standIn.nextAbort(5_000);
    expect(abort.chunksSent).toBe(4);
    expect(abort.request.body.stream).toBe(true);
    expect(standIn.aborts).toHaveLength(1);
  });

  it('does not count finished answers or its own dropped connections as aborts', async () => {
    standIn.script({ reply: 'done' }, { dropConnection: true });
    await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] });
    await client.chat.completions
      .create({ model: 'm', messages: [{ role: 'user', content: 'x' }] })
      .catch(() => undefined);
    await expect(standIn.nextAbort(200)).rejects.toThrow(/no request was aborted/);
    expect(standIn.aborts).toEqual([]);
  });

  it('answers scripted error statuses with OpenAI-shaped bodies and headers', async () => {
    standIn.script({ status: 429, headers: { 'retry-after': '3' } });
    const error = await client.chat.completions
      .create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] })
      .catch((err: unknown) => err);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect((error as APIError).headers?.get('retry-after')).toBe('3');
    expect((error as APIError).code).toBe('rate_limit_exceeded');
  });

  it('rejects requests without a bearer token', async () => {
    const response = await fetch(`${standIn.url}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'x', messages: [] }),
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: { type: 'invalid_request_error' } });
  });

  it('lists models and accepts paths without /v1', async () => {
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toContain('stand-in');
    const bare = new OpenAI({ apiKey: 'k', baseURL: standIn.url.replace(/\/v1$/, ''), maxRetries: 0 });
    const completion = await bare.chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: 'x' }],
    });
    expect(completion.choices[0]?.message.content).toBe('Echo: x');
  });

  it('drops the connection when told to', async () => {
    standIn.script({ dropConnection: true });
    await expect(
      client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] }),
    ).rejects.toBeInstanceOf(OpenAI.APIConnectionError);
  });

  it('applies its default pacing to every streamed answer', async () => {
    const paced = await startOpenAiStandIn({ stream: { chunks: 3 } });
    try {
      const sdk = new OpenAI({ apiKey: 'k', baseURL: paced.url, maxRetries: 0 });
      const stream = await sdk.chat.completions.create({
        model: 'm',
        messages: [{ role: 'user', content: 'a fairly long message' }],
        stream: true,
      });
      const pieces: string[] = [];
      for await (const chunk of stream) {
        const piece = chunk.choices[0]?.delta.content;
        if (piece) pieces.push(piece);
      }
      expect(pieces).toHaveLength(3);
      expect(pieces.join('')).toBe('Echo: a fairly long message');
    } finally {
      await paced.close();
    }
  });

  it('prints its URL when run as a separate process', async () => {
    // The current node (22) runs tsx's CLI, so a PATH that still has an older node does not matter.
    const tsxCli = createRequire(import.meta.url).resolve('tsx/cli');
    const script = fileURLToPath(new URL('./openai-stand-in.ts', import.meta.url));
    const child = spawn(process.execPath, [tsxCli, script], {
      env: { ...process.env, PORT: '0' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const [line] = (await once(child.stdout, 'data')) as [Buffer];
      const url = /^OPENAI_BASE_URL=(\S+)/.exec(line.toString())?.[1];
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
      const remote = new OpenAI({ apiKey: 'k', baseURL: url, maxRetries: 0 });
      const completion = await remote.chat.completions.create({
        model: 'm',
        messages: [{ role: 'user', content: 'hey' }],
      });
      expect(completion.choices[0]?.message.content).toBe('Echo: hey');
    } finally {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  });
});
