import { describe, expect, it } from 'vitest';
import { COMPLETION_LIMITS, parseCompletionRequest } from './completion-request.ts';

const parse = (body: unknown) => parseCompletionRequest(body, 100);
const problem = (body: unknown) => {
  try {
    parse(body);
  } catch (err) {
    return err as { code: string; message: string; meta: Record<string, string> };
  }
  throw new Error('expected a validation error');
};

describe('parseCompletionRequest', () => {
  it('reads a conversation: system messages, history, and the new message after the last reply', () => {
    const request = parse({
      model: 'parley',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: 'Hello!' },
        { role: 'developer', content: 'Use metric units.' },
        { role: 'user', content: [{ type: 'text', text: 'Weather?' }] },
      ],
      stream: true,
      stream_options: { include_usage: true },
      user: 'ada',
      temperature: 0.2,
    });
    expect(request).toMatchObject({
      model: 'parley',
      stream: true,
      includeUsage: true,
      newFrom: 3,
      systemPrompt: 'Be brief.\n\nUse metric units.',
      user: 'ada',
      store: true,
      clientTools: [],
    });
    expect(request.messages.map((m) => [m.role, m.content])).toEqual([
      ['system', 'Be brief.'],
      ['user', 'Hi'],
      ['assistant', 'Hello!'],
      ['system', 'Use metric units.'],
      ['user', 'Weather?'],
    ]);
  });

  it('reads a user message’s image, audio and file parts as uploads naming their part', () => {
    const base64 = (text: string) => Buffer.from(text).toString('base64');
    const request = parse({
      model: 'm',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Look' },
            {
              type: 'image_url',
              image_url: { url: `data:image/png;base64,${base64('png')}`, detail: 'low' },
            },
            { type: 'input_audio', input_audio: { data: base64('ogg'), format: 'mp3' } },
            {
              type: 'file',
              file: { filename: 'a.pdf', file_data: `data:application/pdf;base64,${base64('pdf')}` },
            },
          ],
        },
      ],
    });
    const [user] = request.messages;
    expect(user?.content).toBe('Look');
    expect(
      user?.uploads?.map((u) => [u.field, u.mediaType, u.fileName, Buffer.from(u.data).toString()]),
    ).toEqual([
      ['messages[0].content[1]', 'image/png', '', 'png'],
      ['messages[0].content[2]', 'audio/mp3', '', 'ogg'],
      ['messages[0].content[3]', 'application/pdf', 'a.pdf', 'pdf'],
    ]);
  });

  it('reads a tool round trip: the assistant’s calls, then the client’s results as the new messages', () => {
    const request = parse({
      model: 'm',
      messages: [
        { role: 'user', content: 'Order status?' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{"n":1}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'call_1', content: 'shipped' },
      ],
      tools: [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object' } } }],
      store: false,
    });
    expect(request.newFrom).toBe(2);
    expect(request.messages[1]).toEqual({
      role: 'assistant',
      content: '',
      toolCalls: [{ id: 'call_1', name: 'lookup', arguments: '{"n":1}' }],
    });
    expect(request.messages[2]).toEqual({ role: 'tool', content: 'shipped', toolCallId: 'call_1' });
    expect(request.clientTools).toEqual([
      { name: 'lookup', description: '', parameters: { type: 'object' }, strict: false },
    ]);
    expect(request.store).toBe(false);
  });

  it('offers no client tools with tool_choice none', () => {
    const tools = [{ type: 'function', function: { name: 'lookup' } }];
    const request = parse({
      model: 'm',
      messages: [{ role: 'user', content: 'x' }],
      tools,
      tool_choice: 'none',
    });
    expect(request.clientTools).toEqual([]);
  });

  it.each([
    [{ messages: [{ role: 'user', content: 'x' }] }, 'model', /is required/],
    [{ model: 'm', messages: [] }, 'messages', /invalid/],
    [
      {
        model: 'm',
        messages: [
          { role: 'user', content: 'x' },
          { role: 'assistant', content: 'y' },
        ],
      },
      'messages',
      /must end/,
    ],
    [{ model: 'm', messages: [{ role: 'wizard', content: 'x' }] }, 'messages[0].role', /invalid/],
    [
      { model: 'm', messages: [{ role: 'user', content: 'x'.repeat(101) }] },
      'messages[0].content',
      /at most 100/,
    ],
    [
      { model: 'm', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: {} }] }] },
      'messages[0].content[0]',
      /without its image_url/,
    ],
    [
      { model: 'm', messages: [{ role: 'user', content: [{ type: 'video_url', video_url: {} }] }] },
      'messages[0].content[0]',
      /only text, image_url, input_audio and file parts/,
    ],
    [
      {
        model: 'm',
        messages: [
          { role: 'user', content: 'Hi' },
          {
            role: 'assistant',
            content: [{ type: 'image_url', image_url: { url: 'data:image/png;base64,AA==' } }],
          },
          { role: 'user', content: 'x' },
        ],
      },
      'messages[1].content[0]',
      /files go in user messages/,
    ],
    [
      {
        model: 'm',
        messages: [
          { role: 'user', content: [{ type: 'image_url', image_url: { url: 'http://example.com/a.png' } }] },
        ],
      },
      'messages[0].content[0].image_url.url',
      /remote URL; Parley does not fetch URLs/,
    ],
    [
      { model: 'm', messages: [{ role: 'user', content: [{ type: 'file', file: { file_id: 'file-1' } }] }] },
      'messages[0].content[0].file.file_data',
      /file ids are not supported/,
    ],
    [
      {
        model: 'm',
        messages: [
          { role: 'user', content: [{ type: 'input_audio', input_audio: { data: '%%', format: 'wav' } }] },
        ],
      },
      'messages[0].content[0].input_audio.data',
      /not valid base64/,
    ],
    [
      {
        model: 'm',
        messages: [
          { role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/png,abc' } }] },
        ],
      },
      'messages[0].content[0].image_url.url',
      /must be a base64 data URL/,
    ],
    [{ model: 'm', messages: [{ role: 'user', content: 'x' }], n: 2 }, 'n', /n = 1/],
    [
      {
        model: 'm',
        messages: [{ role: 'user', content: 'x' }],
        user: 'u'.repeat(COMPLETION_LIMITS.maxUserChars + 1),
      },
      'user',
      /invalid/,
    ],
    [
      {
        model: 'm',
        messages: [{ role: 'user', content: 'x' }],
        tools: [{ type: 'function', function: { name: 'bad name' } }],
      },
      'tools[0].function.name',
      /A-Z/,
    ],
  ])('refuses %j naming %s', (body, argument, message) => {
    const error = problem(body);
    expect(error.code).toBe('invalid_argument');
    expect(error.meta.argument).toBe(argument);
    expect(error.message).toMatch(message);
  });

  it('bounds the number of messages', () => {
    const messages = Array.from({ length: COMPLETION_LIMITS.maxMessages + 1 }, () => ({
      role: 'user',
      content: 'x',
    }));
    expect(problem({ model: 'm', messages }).meta.argument).toBe('messages');
  });
});
