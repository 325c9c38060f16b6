import { describe, expect, it } from 'vitest';
import { ChunkFrames, completionBody } from './completion-response.ts';
import { toOpenAiError } from './openai-errors.ts';

const outcome = {
  id: 'chatcmpl-1',
  created: 1_700_000_000,
  model: 'parley',
  content: 'Hi "there"',
  toolCalls: [],
  usage: { promptTokens: 3, completionTokens: 2, totalTokens: 5 },
};

/** The JSON of each `data:` frame, `[DONE]` as the string. */
function frames(text: string): unknown[] {
  return [...text.matchAll(/^data: (.*)$/gm)].map(([, data = '']) =>
    data === '[DONE]' ? data : JSON.parse(data),
  );
}

describe('OpenAI wire shapes', () => {
  it('writes text deltas as chunks with usage null, and the usage chunk last when asked for', () => {
    const chunks = new ChunkFrames({ id: 'chatcmpl-1', created: 1, model: 'parley', includeUsage: true });
    const written = frames(
      chunks.first() + chunks.text('Hi "th') + chunks.text('ere"') + chunks.last(outcome),
    );
    expect(written[0]).toMatchObject({
      choices: [{ delta: { role: 'assistant', content: '' } }],
      usage: null,
    });
    expect(written[1]).toEqual({
      id: 'chatcmpl-1',
      object: 'chat.completion.chunk',
      created: 1,
      model: 'parley',
      choices: [{ index: 0, delta: { content: 'Hi "th' }, logprobs: null, finish_reason: null }],
      usage: null,
    });
    expect(written[3]).toMatchObject({ choices: [{ delta: {}, finish_reason: 'stop' }] });
    expect(written[4]).toMatchObject({
      choices: [],
      usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
    });
    expect(written[5]).toBe('[DONE]');
  });

  it('ends with the client’s tool calls: null content, finish_reason tool_calls', () => {
    const call = { id: 'call_1', name: 'lookup', arguments: '{}' };
    const body = completionBody({ ...outcome, content: '', toolCalls: [call] });
    expect(body.choices[0]).toMatchObject({
      finish_reason: 'tool_calls',
      message: {
        content: null,
        tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{}' } }],
      },
    });
  });

  it.each([
    [
      { code: 'invalid_argument', meta: { argument: 'messages' } },
      400,
      'invalid_request_error',
      null,
      'messages',
    ],
    [{ code: 'unauthenticated', meta: {} }, 401, 'invalid_request_error', 'invalid_api_key', null],
    [
      { code: 'permission_denied', meta: { argument: 'system_prompt' } },
      403,
      'permission_error',
      'permission_denied',
      'system_prompt',
    ],
    [
      { code: 'permission_denied', meta: { argument: 'model', allowed_models: 'a' } },
      404,
      'invalid_request_error',
      'model_not_found',
      'model',
    ],
    [{ code: 'not_found', meta: {} }, 404, 'invalid_request_error', 'not_found', null],
    [{ code: 'aborted', meta: {} }, 409, 'conflict_error', 'conflict', null],
    [
      { code: 'invalid_argument', meta: { limit: 'attachment_bytes', argument: 'messages[0].content[1]' } },
      413,
      'invalid_request_error',
      'file_too_large',
      'messages[0].content[1]',
    ],
    [
      {
        code: 'failed_precondition',
        meta: { reason: 'model_without_vision', argument: 'messages[0].content[0]' },
      },
      400,
      'invalid_request_error',
      'model_not_vision_capable',
      'messages[0].content[0]',
    ],
    [
      { code: 'failed_precondition', meta: { reason: 'transcription_not_configured' } },
      400,
      'invalid_request_error',
      'unsupported_file',
      null,
    ],
    [{ code: 'failed_precondition', meta: {} }, 409, 'conflict_error', 'conflict', null],
    [
      { code: 'resource_exhausted', meta: { limit: 'user-turns', retry_after: '3' } },
      429,
      'rate_limit_error',
      'rate_limit_exceeded',
      null,
    ],
    [
      { code: 'resource_exhausted', meta: { budget: 'daily_tokens', retry_after: '9' } },
      429,
      'insufficient_quota',
      'insufficient_quota',
      null,
    ],
    [{ code: 'internal', meta: {} }, 500, 'server_error', 'internal_error', null],
    [{ code: 'unavailable', meta: {} }, 503, 'server_error', 'service_unavailable', null],
    [{ code: 'deadline_exceeded', meta: {} }, 504, 'server_error', 'timeout', null],
  ])('maps %j to %i', (facts, status, type, code, param) => {
    const error = toOpenAiError({ message: 'm', ...facts });
    expect(error.status).toBe(status);
    expect(error.body.error).toEqual({ message: 'm', type, code, param });
    expect(error.retryAfter).toBe((facts.meta as Record<string, string>).retry_after);
  });
});
