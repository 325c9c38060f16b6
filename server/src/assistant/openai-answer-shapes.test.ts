import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type OpenAiStandIn, startOpenAiStandIn } from '../../../tests/support/openai-stand-in.ts';
import type { AppError } from '../errors/app-error.ts';
import { type LlmRequest, usageOfFailure } from './llm.ts';
import { OpenAiLlm } from './openai-llm.ts';

// Answers that are not a well-formed stream, as real OpenAI-compatible servers and proxies give them:
// a whole JSON completion to a streamed request, a stream with nothing in it, a stream cut short.

let standIn: OpenAiStandIn;

beforeAll(async () => {
  standIn = await startOpenAiStandIn();
});
afterAll(() => standIn.close());
beforeEach(() => standIn.reset());

function makeLlm(maxRetries = 2, timeoutMs = 2_000): OpenAiLlm {
  return new OpenAiLlm({
    apiKey: 'sk-test',
    baseUrl: standIn.url,
    model: 'gpt-test',
    timeoutMs,
    maxRetries,
    backoff: { initialDelayMs: 1, maxDelayMs: 5 },
  });
}

function streamed(told: string[]): LlmRequest {
  return { messages: [{ role: 'user', content: 'hello' }], onDelta: (text) => told.push(text) };
}

async function failure(promise: Promise<unknown>): Promise<AppError> {
  return promise.then(
    () => expect.fail('expected the call to fail'),
    (err: AppError) => err,
  );
}

describe('OpenAiLlm with answers that are not a well-formed stream', () => {
  it('reads a JSON completion given to a streamed request as the whole reply, its text told once', async () => {
    standIn.script({
      reply: 'A whole answer at once',
      usage: { prompt_tokens: 21, completion_tokens: 5 },
      ignoreStream: true,
    });
    const told: string[] = [];
    const response = await makeLlm().complete(streamed(told));
    expect(standIn.requests[0]?.body.stream).toBe(true);
    expect(response).toEqual({
      content: 'A whole answer at once',
      toolCalls: [],
      usage: { promptTokens: 21, completionTokens: 5, totalTokens: 26 },
      model: 'gpt-test',
    });
    expect(told).toEqual(['A whole answer at once']);
  });

  it('reads the tool calls of a JSON completion given to a streamed request', async () => {
    standIn.script({
      toolCalls: [{ id: 'call_j', name: 'get_weather', arguments: { city: 'Oslo' } }],
      usage: { prompt_tokens: 30, completion_tokens: 9 },
      ignoreStream: true,
    });
    const response = await makeLlm().complete(streamed([]));
    expect(response.toolCalls).toEqual([{ id: 'call_j', name: 'get_weather', arguments: '{"city":"Oslo"}' }]);
    expect(response.usage).toEqual({ promptTokens: 30, completionTokens: 9, totalTokens: 39 });
  });

  it('retries a stream that ends with no content, no tool call and no finish reason', async () => {
    standIn.script({ reply: 'never sent', endAfterChunks: 1 }, { reply: 'second try' });
    const response = await makeLlm().complete(streamed([]));
    expect(response.content).toBe('second try');
    expect(standIn.requests).toHaveLength(2);
  });

  it('fails as unavailable, never as an empty reply, when every attempt ends with nothing', async () => {
    const empty = { reply: 'never sent', endAfterChunks: 1 };
    standIn.script(empty, empty);
    const error = await failure(makeLlm(1).complete(streamed([])));
    expect(error.code).toBe('unavailable');
    expect(standIn.requests).toHaveLength(2);
    expect(usageOfFailure(error)).toBeUndefined();
  });

  it('retries a stream cut before its end when none of it was told', async () => {
    // No onDelta (a summary or a title): the cut answer was seen by nobody, so a retry is safe.
    standIn.script({ reply: 'one two three four', endAfterChunks: 3 }, { reply: 'whole' });
    const response = await makeLlm().complete({ messages: [{ role: 'user', content: 'hi' }] });
    expect(response.content).toBe('whole');
    expect(standIn.requests).toHaveLength(2);
  });

  it('fails a stream cut after text was told, without retrying, charging what was told', async () => {
    // Chunks: the role, then pieces of 8 characters; cut after the first two pieces.
    standIn.script({ reply: 'Once upon a time there was a stream', endAfterChunks: 3 });
    const told: string[] = [];
    const error = await failure(makeLlm().complete(streamed(told)));
    expect(error.code).toBe('unavailable');
    expect(error.message).toMatch(/broke off/);
    expect(told.join('')).toBe('Once upon a time');
    expect(standIn.requests).toHaveLength(1);
    // 16 characters told: about 4 tokens, as the usage of a stream that never reached its usage chunk.
    expect(usageOfFailure(error)).toMatchObject({ completionTokens: 4 });
  });

  it('fails a stream that stalls after its first words as timed out, not as a shorter reply', async () => {
    // The idle watchdog aborts the attempt: that abort must not pass for the end of the answer.
    standIn.script({ reply: 'first words, then silence', stream: { chunks: 2 }, stallAfterChunks: 2 });
    const told: string[] = [];
    const error = await failure(makeLlm(2, 300).complete(streamed(told)));
    expect(error.code).toBe('deadline_exceeded');
    expect(told).toEqual(['first words, ']);
    expect(standIn.requests).toHaveLength(1);
    expect(usageOfFailure(error)).toMatchObject({ completionTokens: 4 });
  });
});
