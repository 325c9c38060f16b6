import { APIError } from 'openai';
import { describe, expect, it } from 'vitest';
import { IncompleteAnswerError, readChatStream } from './openai-stream.ts';

/** A Response whose body arrives in exactly these pieces (split anywhere, as TCP may). */
function sse(pieces: string[], type = 'text/event-stream'): Response {
  const bytes = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const piece of pieces) controller.enqueue(bytes.encode(piece));
      controller.close();
    },
  });
  return new Response(body, { headers: { 'content-type': type } });
}

const chunk = (delta: object, finish: string | null = null) =>
  `data: ${JSON.stringify({ model: 'm-1', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
const stop = chunk({}, 'stop');

function read(response: Response, told: string[] = []) {
  let bytes = 0;
  const result = readChatStream(response, {
    model: 'asked',
    promptChars: 40,
    onDelta: (text) => told.push(text),
    onBytes: () => bytes++,
  });
  return result.then((r) => ({ ...r, bytes }));
}

describe('readChatStream', () => {
  it('tells each piece as it comes and folds text, tool calls and usage, across any split', async () => {
    const text = [
      chunk({ role: 'assistant', content: 'Hel' }),
      chunk({ content: 'lo ✓' }),
      chunk({ tool_calls: [{ index: 0, id: 'call_a', function: { name: 'get_', arguments: '{"ci' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { name: 'weather', arguments: 'ty":"Oslo"}' } }] }),
      stop,
      `data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 } })}\r\n\r\n`,
      'data: [DONE]\n\n',
    ].join('');
    const told: string[] = [];
    const pieces = [text.slice(0, 7), text.slice(7, 50), text.slice(50, 51), text.slice(51)];
    const result = await read(sse(pieces), told);
    expect(told).toEqual(['Hel', 'lo ✓']);
    expect(result).toEqual({
      content: 'Hello ✓',
      toolCalls: [{ id: 'call_a', name: 'get_weather', arguments: '{"city":"Oslo"}' }],
      usage: { promptTokens: 5, completionTokens: 2, totalTokens: 7 },
      model: 'm-1',
      bytes: 4,
    });
  });

  it('estimates usage when the provider reports none', async () => {
    const result = await read(sse([chunk({ content: 'abcdefgh' }), stop, 'data: [DONE]\n\n']));
    expect(result.usage).toEqual({ promptTokens: 10, completionTokens: 2, totalTokens: 12 });
  });

  it('throws an APIError for an error event or an error in the data, as the SDK does', async () => {
    const named = sse([chunk({ content: 'a' }), 'event: error\ndata: {"message":"overloaded"}\n\n']);
    await expect(read(named)).rejects.toBeInstanceOf(APIError);
    const inline = sse([`data: ${JSON.stringify({ error: { message: 'bad', code: 'x' } })}\n\n`]);
    await expect(read(inline)).rejects.toThrow(/bad/);
  });

  it('throws IncompleteAnswerError for a stream cut before a finish reason', async () => {
    await expect(read(sse([chunk({ content: 'half' })]))).rejects.toBeInstanceOf(IncompleteAnswerError);
  });

  it('reads one JSON completion from a server that ignored stream: true', async () => {
    const completion = {
      model: 'm-2',
      choices: [{ index: 0, message: { role: 'assistant', content: 'whole' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
    };
    const told: string[] = [];
    const result = await read(sse([JSON.stringify(completion)], 'application/json'), told);
    expect(told).toEqual(['whole']);
    expect(result).toMatchObject({ content: 'whole', model: 'm-2', usage: { totalTokens: 2 } });
  });
});
