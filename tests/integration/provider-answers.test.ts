import { type ChatStreamClient, createChatStreamClient, isRpcError, type TurnEvent } from '@parley/rpc';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type OpenAiStandIn, startOpenAiStandIn } from '../support/openai-stand-in.ts';
import { type RunningParley, startParley, TEST_KEY } from '../support/parley.ts';

// A provider that answers a streamed request with one JSON completion, or ends its stream early: what
// the client sees, what the conversation stores and what the user is charged agree, through the real
// server over SSE and Twirp.

const session = (chatId: string) => ({ platform: 'cli', userId: `answers-${chatId}`, chatId });

/** The events of a streamed turn, and the error that ended it (if one did). */
async function streamTurn(events: AsyncIterable<TurnEvent>) {
  const seen: TurnEvent['event'][] = [];
  const error = await (async () => {
    for await (const { event } of events) seen.push(event);
  })().then(
    () => undefined,
    (err: unknown) => err,
  );
  const text = seen.map((e) => (e.oneofKind === 'delta' ? e.delta.text : '')).join('');
  const started = seen.find((e) => e.oneofKind === 'started');
  const conversationId = started?.oneofKind === 'started' ? started.started.conversationId : '';
  return { kinds: seen.map((e) => e.oneofKind), text, conversationId, error, last: seen.at(-1) };
}

describe('provider answers that are not a well-formed stream, through the server', () => {
  let model: OpenAiStandIn;
  let parley: RunningParley;
  let streams: ChatStreamClient;

  beforeAll(async () => {
    model = await startOpenAiStandIn();
    parley = await startParley({
      env: { OPENAI_BASE_URL: model.url, OPENAI_API_KEY: 'test', OPENAI_MAX_RETRIES: '1' },
    });
    streams = createChatStreamClient({ baseUrl: parley.url, apiKey: TEST_KEY, timeoutMs: 10_000 });
  });
  afterAll(async () => {
    await parley.cleanup();
    await model.close();
  });
  beforeEach(() => model.reset());

  async function used(chatId: string) {
    const usage = await parley.usage().getUsage({ userId: session(chatId).userId });
    return usage.daily?.used;
  }

  it('streams a JSON completion as the reply, stores it and charges its usage', async () => {
    const reply = 'Answered in one piece by a proxy that ignores stream.';
    model.script({ reply, usage: { prompt_tokens: 40, completion_tokens: 12 }, ignoreStream: true });
    const turn = await streamTurn(
      streams.streamStartConversation({ message: 'hi', session: session('json') }),
    );
    expect(turn.error).toBeUndefined();
    expect(turn.kinds).toEqual(['started', 'delta', 'done']);
    expect(turn.text).toBe(reply);
    expect(turn.last?.oneofKind === 'done' && turn.last.done.usage).toMatchObject({
      promptTokens: 40,
      completionTokens: 12,
    });
    const described = await parley
      .client()
      .describeConversation({ conversationId: turn.conversationId, session: session('json') });
    expect(described.messages.map((m) => m.content)).toEqual(['hi', reply]);
    expect(await used('json')).toMatchObject({ inputTokens: '40', outputTokens: '12', turns: '1' });
  });

  it('answers a Twirp turn whose every attempt streams nothing with unavailable, storing and charging nothing', async () => {
    const empty = { reply: 'never sent', endAfterChunks: 1 };
    model.script(empty, empty);
    const error = await parley
      .client()
      .startConversation({ message: 'anyone there?', session: session('empty') })
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    expect(isRpcError(error) && error.code).toBe('unavailable');
    expect(model.requests).toHaveLength(2);
    const [conversation] = (await parley.client().listConversations({ session: session('empty') }))
      .conversations;
    const described = await parley
      .client()
      .describeConversation({ conversationId: conversation?.id ?? '', session: session('empty') });
    // The user's message is kept (a retry reuses it); no empty reply is stored.
    expect(described.messages.map((m) => m.role)).toEqual([1]);
    expect(await used('empty')).toMatchObject({ inputTokens: '0', outputTokens: '0' });
  });

  it('ends an SSE turn cut off after its first words with unavailable; stores and charges those words', async () => {
    model.script({ reply: 'Once upon a time there was a stream that', endAfterChunks: 3 });
    const turn = await streamTurn(
      streams.streamStartConversation({ message: 'a story', session: session('cut') }),
    );
    expect(turn.kinds).toEqual(['started', 'delta', 'delta']);
    expect(turn.text).toBe('Once upon a time');
    expect(isRpcError(turn.error) && turn.error.code).toBe('unavailable');
    expect(model.requests).toHaveLength(1);
    const described = await parley
      .client()
      .describeConversation({ conversationId: turn.conversationId, session: session('cut') });
    const partial = described.messages[1];
    expect([partial?.content, partial?.interrupted]).toEqual(['Once upon a time', true]);
    const charged = await used('cut');
    // 16 characters told: about 4 output tokens, and the prompt the model read.
    expect(charged?.outputTokens).toBe('4');
    expect(Number(charged?.inputTokens)).toBeGreaterThan(0);
  });
});
