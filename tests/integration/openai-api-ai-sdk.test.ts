import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { generateText, jsonSchema, stepCountIs, streamText, tool } from 'ai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type OpenAiStandIn, startOpenAiStandIn } from '../support/openai-stand-in.ts';
import { type RunningParley, startParley, TEST_KEY } from '../support/parley.ts';

// A widely used third-party client, the Vercel AI SDK's OpenAI-compatible provider, pointed at Parley.

describe('the OpenAI-compatible API through the Vercel AI SDK', () => {
  let model: OpenAiStandIn;
  let parley: RunningParley;
  let provider: ReturnType<typeof createOpenAICompatible>;

  beforeAll(async () => {
    model = await startOpenAiStandIn();
    parley = await startParley({
      env: { OPENAI_BASE_URL: model.url, OPENAI_API_KEY: 'test', TOOLS: 'none' },
    });
    provider = createOpenAICompatible({
      name: 'parley',
      baseURL: `${parley.url}/v1`,
      apiKey: TEST_KEY,
      headers: { 'X-Parley-User': 'vercel' },
      includeUsage: true,
    });
  });
  afterAll(async () => {
    await parley.cleanup();
    await model.close();
  });
  beforeEach(() => model.reset());

  const stored = async () => {
    const session = { platform: '', userId: 'vercel', chatId: '' };
    const [latest] = (await parley.client().listConversations({ session })).conversations;
    const described = await parley
      .client()
      .describeConversation({ conversationId: latest?.id ?? '', session });
    return described.messages.map((m) => m.content);
  };

  it('generates text, with usage', async () => {
    model.script({ reply: 'Hi from Parley.', usage: { prompt_tokens: 7, completion_tokens: 3 } });
    const result = await generateText({ model: provider('parley'), prompt: 'Say hi', maxRetries: 0 });
    expect(result.text).toBe('Hi from Parley.');
    expect(result.usage).toMatchObject({ inputTokens: 7, outputTokens: 3 });
    expect(result.finishReason).toBe('stop');
  });

  it('streams text', async () => {
    const reply = 'A streamed answer, piece by piece.';
    model.script({ reply, stream: { chunks: 4 } });
    const result = streamText({ model: provider('parley'), prompt: 'Stream', maxRetries: 0 });
    let text = '';
    for await (const piece of result.textStream) text += piece;
    expect(text).toBe(reply);
    expect(await result.finishReason).toBe('stop');
  });

  it('runs its own tool in a round trip, and both requests land in one conversation', async () => {
    model.script(
      { toolCalls: [{ id: 'call_w', name: 'warehouse_stock', arguments: { sku: 'A-1' } }] },
      { reply: 'There are 12 in stock.' },
    );
    const result = await generateText({
      model: provider('parley'),
      prompt: 'How many A-1?',
      maxRetries: 0,
      stopWhen: stepCountIs(3),
      tools: {
        warehouse_stock: tool({
          description: 'Units in stock for a SKU',
          inputSchema: jsonSchema<{ sku: string }>({
            type: 'object',
            properties: { sku: { type: 'string' } },
            required: ['sku'],
          }),
          execute: async ({ sku }) => ({ sku, units: 12 }),
        }),
      },
    });
    expect(result.text).toBe('There are 12 in stock.');
    expect(result.steps).toHaveLength(2);
    const toolMessage = model.requests[1]?.body.messages?.find((m) => m.role === 'tool');
    expect(toolMessage).toMatchObject({ tool_call_id: 'call_w' });
    expect(await stored()).toEqual([
      'How many A-1?',
      '',
      '{"sku":"A-1","units":12}',
      'There are 12 in stock.',
    ]);
  });
});
