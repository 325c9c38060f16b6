import { DEFAULT_SYSTEM_PROMPT } from '@parley/config';
import { Role } from '@parley/rpc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScriptedLlm } from '../../server/src/assistant/scripted-llm.ts';
import { UnavailableError } from '../../server/src/errors/app-error.ts';
import { OTHER_KEY, type RunningParley, startParley } from '../support/parley.ts';
import { rpcError } from '../support/rpc-error.ts';

const alice = { platform: 'cli', userId: 'alice', chatId: '' };
const bob = { platform: 'cli', userId: 'bob', chatId: '' };

describe.each([
  { encoding: 'JSON', json: true },
  { encoding: 'protobuf', json: false },
])('ChatService over $encoding', ({ json }) => {
  let parley: RunningParley;
  const llm = new ScriptedLlm();

  beforeAll(async () => {
    parley = await startParley({
      overrides: { llm },
      env: { ALLOWED_MODELS: 'tiny-model', CLIENT_SYSTEM_PROMPT: 'append' },
    });
  });
  afterAll(() => parley.cleanup());

  it('starts, continues, lists, describes and deletes a conversation', async () => {
    const client = parley.client({ json });
    const started = await client.startConversation({ message: 'hello there', session: alice });
    expect(started.reply?.content).toBe('Echo: hello there');
    expect(started.usage?.totalTokens).toBeGreaterThan(0);
    const id = started.conversation?.id ?? '';
    expect(started.conversation?.title).toBe('hello there');

    const next = await client.continueConversation({
      conversationId: id,
      message: 'and again',
      session: alice,
    });
    expect(next.conversationId).toBe(id);
    expect(next.reply?.role).toBe(Role.ASSISTANT);
    expect(next.newConversation).toBe(false);
    // The model saw the whole conversation so far.
    expect(llm.calls.at(-1)?.messages.map((m) => m.content)).toEqual([
      expect.any(String),
      'hello there',
      'Echo: hello there',
      'and again',
    ]);

    const listed = await client.listConversations({ session: alice });
    expect(listed.conversations.map((c) => c.id)).toContain(id);

    const described = await client.describeConversation({ conversationId: id, session: alice });
    expect(described.messages.map((m) => [m.role, m.content])).toEqual([
      [Role.USER, 'hello there'],
      [Role.ASSISTANT, 'Echo: hello there'],
      [Role.USER, 'and again'],
      [Role.ASSISTANT, 'Echo: and again'],
    ]);
    expect(described.conversation?.messageCount).toBe(4);

    await client.deleteConversation({ conversationId: id, session: alice });
    const gone = await rpcError(client.describeConversation({ conversationId: id, session: alice }));
    expect(gone.code).toBe('not_found');
  });

  it('keeps a stateless chat in one conversation and rebinds it on StartConversation', async () => {
    const client = parley.client({ json });
    const chat = { platform: 'telegram', userId: '42', chatId: `chat-${json}` };
    const first = await client.continueConversation({ message: 'one', session: chat });
    expect(first.newConversation).toBe(true);
    const second = await client.continueConversation({ message: 'two', session: chat });
    expect(second.conversationId).toBe(first.conversationId);
    expect(second.newConversation).toBe(false);

    const fresh = await client.startConversation({ session: chat });
    expect(fresh.conversation?.id).not.toBe(first.conversationId);
    expect(fresh.reply).toBeUndefined();
    const third = await client.continueConversation({ message: 'three', session: chat });
    expect(third.conversationId).toBe(fresh.conversation?.id);
  });

  it('appends a conversation’s own system prompt to the operator’s and runs its model', async () => {
    const client = parley.client({ json });
    const started = await client.startConversation({
      session: alice,
      systemPrompt: 'Answer in haiku.',
      model: 'tiny-model',
    });
    await client.continueConversation({
      conversationId: started.conversation?.id ?? '',
      message: 'hi',
      session: alice,
    });
    const call = llm.calls.at(-1);
    expect(call?.messages[0]?.content).toBe(`${DEFAULT_SYSTEM_PROMPT}\n\nAnswer in haiku.`);
    expect(call?.model).toBe('tiny-model');
  });

  it('switches a chat to an earlier conversation of the same owner', async () => {
    const client = parley.client({ json });
    const chat = { platform: 'telegram', userId: '43', chatId: `switch-${json}` };
    const first = await client.continueConversation({ message: 'first topic', session: chat });
    await client.startConversation({ session: chat });
    const switched = await client.switchConversation({ conversationId: first.conversationId, session: chat });
    expect(switched.conversation?.title).toBe('first topic');
    const next = await client.continueConversation({ message: 'back again', session: chat });
    expect(next.conversationId).toBe(first.conversationId);
    const someoneElse = await rpcError(
      client.switchConversation({ conversationId: first.conversationId, session: { ...chat, userId: '44' } }),
    );
    expect(someoneElse.code).toBe('not_found');
    const noChat = await rpcError(
      client.switchConversation({ conversationId: first.conversationId, session: alice }),
    );
    expect(noChat).toMatchObject({ code: 'invalid_argument', meta: { argument: 'session.chat_id' } });
  });

  it('hides other owners’ conversations as not_found', async () => {
    const mine = await parley.client({ json }).startConversation({ message: 'private', session: alice });
    const id = mine.conversation?.id ?? '';
    const otherUser = parley.client({ json });
    const otherClient = parley.client({ json, apiKey: OTHER_KEY });
    for (const [client, session] of [
      [otherUser, bob],
      [otherClient, alice],
    ] as const) {
      expect((await rpcError(client.describeConversation({ conversationId: id, session }))).code).toBe(
        'not_found',
      );
      expect(
        (await rpcError(client.continueConversation({ conversationId: id, message: 'x', session }))).code,
      ).toBe('not_found');
      expect((await rpcError(client.deleteConversation({ conversationId: id, session }))).code).toBe(
        'not_found',
      );
      const listed = await client.listConversations({ session });
      expect(listed.conversations.map((c) => c.id)).not.toContain(id);
    }
    const still = await parley.client({ json }).describeConversation({ conversationId: id, session: alice });
    expect(still.messages).toHaveLength(2);
  });

  it('rejects bad input with invalid_argument naming the field', async () => {
    const client = parley.client({ json });
    const empty = await rpcError(
      client.continueConversation({ message: '   ', session: { ...alice, chatId: 'x' } }),
    );
    expect(empty).toMatchObject({ code: 'invalid_argument', meta: { argument: 'message', reason: 'empty' } });
    const tooLong = client.startConversation({ message: 'x'.repeat(8_001), session: alice });
    await expect(tooLong).rejects.toThrow('message must be at most 8000 characters');
    const long = await rpcError(tooLong);
    expect(long).toMatchObject({
      code: 'invalid_argument',
      meta: { argument: 'message', max_chars: '8000' },
    });
    const badPage = await rpcError(client.listConversations({ session: alice, pageSize: -1 }));
    expect(badPage).toMatchObject({
      code: 'invalid_argument',
      meta: { argument: 'page_size', max_page_size: '100' },
    });
    const badId = await rpcError(client.describeConversation({ conversationId: '../etc', session: alice }));
    expect(badId).toMatchObject({ code: 'invalid_argument', meta: { argument: 'conversation_id' } });
    const noTarget = await rpcError(client.continueConversation({ message: 'hi', session: alice }));
    expect(noTarget).toMatchObject({ code: 'invalid_argument', meta: { argument: 'conversation_id' } });
    const badToken = await rpcError(client.listConversations({ session: alice, pageToken: 'nonsense' }));
    expect(badToken).toMatchObject({ code: 'invalid_argument', meta: { argument: 'page_token' } });
  });

  it('pages through conversations and messages without gaps or repeats', async () => {
    const client = parley.client({ json });
    const session = { platform: 'cli', userId: `pager-${json}`, chatId: '' };
    const ids: string[] = [];
    for (let i = 0; i < 5; i++)
      ids.push((await client.startConversation({ message: `m${i}`, session })).conversation?.id ?? '');
    const seen: string[] = [];
    let pageToken = '';
    do {
      const page = await client.listConversations({ session, pageSize: 2, pageToken });
      expect(page.conversations.length).toBeLessThanOrEqual(2);
      seen.push(...page.conversations.map((c) => c.id));
      pageToken = page.nextPageToken;
    } while (pageToken);
    expect(seen).toEqual([...ids].reverse());

    const id = ids[0] ?? '';
    for (let i = 0; i < 3; i++)
      await client.continueConversation({ conversationId: id, message: `more ${i}`, session });
    const first = await client.describeConversation({ conversationId: id, session, pageSize: 5 });
    const second = await client.describeConversation({
      conversationId: id,
      session,
      pageSize: 5,
      pageToken: first.nextPageToken,
    });
    expect([...first.messages, ...second.messages].map((m) => m.content)).toHaveLength(8);
    expect(second.nextPageToken).toBe('');
  });
});

describe('ChatService when the model fails', () => {
  it('keeps the user message and answers unavailable', async () => {
    const llm = new ScriptedLlm([{ error: new UnavailableError('the model endpoint cannot be reached') }]);
    const parley = await startParley({ overrides: { llm } });
    try {
      const client = parley.client();
      const started = await client.startConversation({ session: alice });
      const id = started.conversation?.id ?? '';
      const failure = await rpcError(
        client.continueConversation({ conversationId: id, message: 'are you there?', session: alice }),
      );
      expect(failure).toMatchObject({ code: 'unavailable', detail: 'the model endpoint cannot be reached' });
      const described = await client.describeConversation({ conversationId: id, session: alice });
      expect(described.messages.map((m) => m.content)).toEqual(['are you there?']);
      // The next turn answers, with the unanswered message still in the context.
      const retried = await client.continueConversation({
        conversationId: id,
        message: 'hello?',
        session: alice,
      });
      expect(retried.reply?.content).toBe('Echo: hello?');
      expect(
        llm.calls
          .at(-1)
          ?.messages.map((m) => m.content)
          .slice(1),
      ).toEqual(['are you there?', 'hello?']);
    } finally {
      await parley.cleanup();
    }
  });

  it('never sends internal error text to the client', async () => {
    const llm = new ScriptedLlm([{ error: new Error('connect to db://admin:hunter2@10.0.0.5 failed') }]);
    const parley = await startParley({ overrides: { llm } });
    try {
      const failure = await rpcError(
        parley.client({ json: true }).startConversation({ message: 'hi', session: alice }),
      );
      expect(failure.code).toBe('internal');
      expect(failure.detail).toBe('internal error');
      expect(JSON.stringify(failure)).not.toContain('hunter2');
    } finally {
      await parley.cleanup();
    }
  });

  it('says what to configure when no model is set', async () => {
    const parley = await startParley();
    try {
      const failure = await rpcError(parley.client().startConversation({ message: 'hi', session: alice }));
      expect(failure.code).toBe('unavailable');
      expect(failure.detail).toContain('OPENAI_API_KEY');
    } finally {
      await parley.cleanup();
    }
  });
});

describe('ChatService across a restart', () => {
  it('keeps every conversation', async () => {
    const first = await startParley({ overrides: { llm: new ScriptedLlm() } });
    const started = await first.client().startConversation({ message: 'remember me', session: alice });
    await first.stop();
    const second = await startParley({ dataDir: first.dataDir, overrides: { llm: new ScriptedLlm() } });
    try {
      const described = await second.client().describeConversation({
        conversationId: started.conversation?.id ?? '',
        session: alice,
      });
      expect(described.messages.map((m) => m.content)).toEqual(['remember me', 'Echo: remember me']);
    } finally {
      await second.cleanup();
    }
  });
});
