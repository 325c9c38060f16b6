import { createLogger } from '@parley/logger';
import { afterEach, describe, expect, it } from 'vitest';
import { Assistant, type AssistantDeps } from '../assistant/assistant.ts';
import { ScriptedLlm } from '../assistant/scripted-llm.ts';
import { Summarizer } from '../assistant/summarizer.ts';
import { LocalLock } from '../coordination/keyed-lock.ts';
import { UnavailableError } from '../errors/app-error.ts';
import { UNLINKED } from '../people/identity.ts';
import { MemorySessionStore } from '../sessions/memory-session-store.ts';
import { getDatetime } from '../tools/datetime.ts';
import { fakeToolServices } from '../tools/fake-tool-services.ts';
import { ToolRegistry } from '../tools/registry.ts';
import { ConversationService } from './conversation-service.ts';
import type { Owner } from './conversation-store.ts';
import { EmbeddedConversationStore } from './embedded-conversation-store.ts';
import { ignoreSessionEvents, SessionManager } from './session-manager.ts';

const logger = createLogger({ name: 'test', level: 'silent', pretty: false });
const alice: Owner = { clientId: 'bot', userId: 'alice' };
const mallory: Owner = { clientId: 'bot', userId: 'mallory' };
const chat = { platform: 'telegram', chatId: '42' };

const stores: EmbeddedConversationStore[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.close()));
});

/** The service over an in-memory SQLite store, memory sessions, a local lock and a scripted model. */
function setup(options: { script?: ConstructorParameters<typeof ScriptedLlm>[0]; titles?: boolean } = {}) {
  const store = new EmbeddedConversationStore({ path: ':memory:' });
  stores.push(store);
  const llm = new ScriptedLlm(options.script);
  const deps = (overrides: Partial<AssistantDeps> = {}) =>
    new Assistant({
      llm,
      tools: new ToolRegistry([getDatetime], { timeoutMs: 1000, services: fakeToolServices({ logger }) }),
      summarizer: new Summarizer({ llm, logger }),
      systemPrompt: 'You are a test.',
      windowMessages: 60,
      contextBudgetTokens: 2_000,
      maxToolRounds: 3,
      summarizeAfter: 10,
      logger,
      ...overrides,
    });
  const sessionManager = new SessionManager({
    store,
    sessions: new MemorySessionStore(),
    ttlSeconds: 1800,
    clock: () => new Date(),
    logger,
    events: ignoreSessionEvents,
  });
  const service = (assistant: Partial<AssistantDeps> = {}) =>
    new ConversationService({
      store,
      sessionManager,
      assistant: deps(assistant),
      lock: new LocalLock(),
      generateTitles: options.titles ?? false,
      people: UNLINKED,
      logger,
    });
  return { store, llm, service };
}

async function transcript(store: EmbeddedConversationStore, id: string) {
  const messages = await store.messages(id, { afterSeq: 0, limit: 100 });
  return messages.map((m) => [m.seq, m.role, m.content]);
}

describe('ConversationService', () => {
  it('stores each user message before its reply, in order, with the tool calls made', async () => {
    const toolCall = { id: 't1', name: 'get_datetime', arguments: '{"timezone":"UTC"}' };
    const { store, service } = setup({
      script: [{ reply: 'Hi!' }, { toolCalls: [toolCall] }, { reply: 'Noon.' }],
    });
    const chats = service();
    const first = await chats.start({ owner: alice, message: 'hello' });
    const id = first.conversation.id;
    const second = await chats.continue({ owner: alice, conversationId: id, message: 'what time is it?' });

    expect(await transcript(store, id)).toEqual([
      [1, 'user', 'hello'],
      [2, 'assistant', 'Hi!'],
      [3, 'user', 'what time is it?'],
      [4, 'assistant', 'Noon.'],
    ]);
    expect(second).toMatchObject({
      isNew: false,
      toolsUsed: ['get_datetime'],
      conversation: { messageCount: 4 },
    });
    expect(second.reply.toolCalls).toEqual([
      expect.objectContaining({ id: 't1', name: 'get_datetime', isError: false }),
    ]);
  });

  it('resolves a chat to its conversation, starting one only for the first message', async () => {
    const { service } = setup();
    const chats = service();
    const first = await chats.continue({ owner: alice, chat, message: 'one' });
    const second = await chats.continue({ owner: alice, chat, message: 'two' });
    expect(first.isNew).toBe(true);
    expect(second).toMatchObject({ isNew: false, conversation: { id: first.conversation.id } });
    expect(second.reply.content).toBe('Echo: two');
  });

  it("answers another owner's conversation as not found, whatever the call", async () => {
    const { store, service } = setup();
    const chats = service();
    const { conversation } = await chats.start({ owner: alice, message: 'private' });
    const id = conversation.id;
    const notFound = { code: 'not_found' };
    await expect(chats.continue({ owner: mallory, conversationId: id, message: 'hi' })).rejects.toMatchObject(
      notFound,
    );
    await expect(chats.describe(mallory, id, { afterSeq: 0, limit: 10 })).rejects.toMatchObject(notFound);
    await expect(chats.switchTo(mallory, id, chat)).rejects.toMatchObject(notFound);
    await expect(chats.delete(mallory, id)).rejects.toMatchObject(notFound);
    expect(await chats.list(mallory, { limit: 10 })).toEqual([]);
    expect(await transcript(store, id)).toHaveLength(2);
  });

  it('keeps the user message when the model fails, and a retry of that failure stores it once', async () => {
    const { store, service } = setup({
      script: [{ reply: 'Hi!' }, { error: new UnavailableError('model down') }],
    });
    const chats = service();
    const { conversation } = await chats.start({ owner: alice, message: 'hello' });
    const turn = { owner: alice, conversationId: conversation.id, message: 'are you there?' };
    await expect(chats.continue(turn)).rejects.toMatchObject({ code: 'unavailable' });
    expect((await transcript(store, conversation.id)).at(-1)).toEqual([3, 'user', 'are you there?']);

    const retried = await chats.continue({ ...turn, retryOfFailure: true });
    expect(retried.reply.content).toBe('Echo: are you there?');
    expect(await transcript(store, conversation.id)).toEqual([
      [1, 'user', 'hello'],
      [2, 'assistant', 'Hi!'],
      [3, 'user', 'are you there?'],
      [4, 'assistant', 'Echo: are you there?'],
    ]);
  });

  it('continues a retry of a turn cut short (a partial reply stored) without storing its message twice', async () => {
    const { store, service } = setup({ script: [{ reply: 'Hi!' }] });
    const chats = service();
    const { conversation } = await chats.start({ owner: alice, message: 'hello' });
    // What a first attempt stopped by a shutdown leaves: the user message, then the reply cut short.
    await store.append(conversation.id, { role: 'user', content: 'tell me more' });
    await store.append(conversation.id, { role: 'assistant', content: 'Well, fi', interrupted: true });

    const turn = { owner: alice, conversationId: conversation.id, message: 'tell me more' };
    await chats.continue({ ...turn, retryOfFailure: true });
    expect((await transcript(store, conversation.id)).map(([, role]) => role)).toEqual([
      'user',
      'assistant',
      'user',
      'assistant',
      'assistant',
    ]);
  });

  it('titles a conversation from its first message, then with the model’s title in the background', async () => {
    const { store, service } = setup({
      titles: true,
      script: [{ reply: 'Sure.' }, { reply: '"Weekend hiking plans."' }],
    });
    const chats = service();
    const { conversation } = await chats.start({
      owner: alice,
      message: 'Help me plan a hike\nthis weekend',
    });
    expect(conversation.title).toBe('Help me plan a hike');
    await chats.drain();
    expect((await store.get(conversation.id, alice))?.title).toBe('Weekend hiking plans');
  });

  it('keeps the first-message title when the model cannot make one', async () => {
    const { store, service } = setup({
      titles: true,
      script: [{ reply: 'Sure.' }, { error: new Error('boom') }],
    });
    const chats = service();
    const { conversation } = await chats.start({ owner: alice, message: 'Plan a trip' });
    await chats.drain();
    expect((await store.get(conversation.id, alice))?.title).toBe('Plan a trip');
  });

  it('stores a running summary once older messages fall out of the budget, and prompts with it', async () => {
    const { store, llm, service } = setup();
    const chats = service({ contextBudgetTokens: 120, summarizeAfter: 2 });
    const long = (n: number) => `message ${n} ${'x'.repeat(120)}`;
    const { conversation } = await chats.start({ owner: alice, message: long(1) });
    for (let n = 2; n <= 4; n++)
      await chats.continue({ owner: alice, conversationId: conversation.id, message: long(n) });

    const stored = await store.get(conversation.id, alice);
    expect(stored?.summary).toMatch(/^Echo: /);
    expect(stored?.summarizedThroughSeq).toBeGreaterThan(0);
    await chats.continue({ owner: alice, conversationId: conversation.id, message: 'and now?' });
    const turn = llm.calls.find((call) => call.messages.at(-1)?.content === 'and now?');
    expect(turn?.messages[0]?.content).toContain(`Summary of the earlier conversation:\n${stored?.summary}`);
  });
});
