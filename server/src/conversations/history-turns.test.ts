import { createLogger } from '@parley/logger';
import { afterEach, describe, expect, it } from 'vitest';
import { Assistant } from '../assistant/assistant.ts';
import type { LlmMessage } from '../assistant/llm.ts';
import { ScriptedLlm, type ScriptedStep } from '../assistant/scripted-llm.ts';
import { Summarizer } from '../assistant/summarizer.ts';
import { LocalLock } from '../coordination/keyed-lock.ts';
import { UnavailableError } from '../errors/app-error.ts';
import { getDatetime } from '../tools/datetime.ts';
import { fakeToolServices } from '../tools/fake-tool-services.ts';
import { ToolRegistry } from '../tools/registry.ts';
import type { Owner } from './conversation-store.ts';
import { EmbeddedConversationStore } from './embedded-conversation-store.ts';
import { type HistoryTurnInput, HistoryTurns } from './history-turns.ts';
import { detachedScope } from './turn-scope.ts';

const logger = createLogger({ name: 'test', level: 'silent', pretty: false });
const ada: Owner = { clientId: 'svc', userId: 'ada' };
const lookup = { name: 'lookup_order', description: 'Looks up an order', parameters: { type: 'object' } };

const stores: EmbeddedConversationStore[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
});

function setup(script: ScriptedStep[] = []) {
  const store = new EmbeddedConversationStore({ path: ':memory:' });
  stores.push(store);
  const llm = new ScriptedLlm(script);
  const assistant = new Assistant({
    llm,
    tools: new ToolRegistry([getDatetime], { timeoutMs: 1000, services: fakeToolServices({ logger }) }),
    summarizer: new Summarizer({ llm, logger }),
    systemPrompt: 'You are a test.',
    windowMessages: 60,
    contextBudgetTokens: 2_000,
    maxToolRounds: 3,
    summarizeAfter: 10,
    logger,
  });
  const turns = new HistoryTurns({ store, assistant, lock: new LocalLock(), logger });
  const run = (messages: LlmMessage[], extra: Partial<HistoryTurnInput> = {}) =>
    turns.run(
      { owner: ada, messages, newFrom: newFrom(messages), clientTools: [], store: true, ...extra },
      detachedScope(logger),
    );
  const transcript = async (id: string) =>
    (await store.messages(id, { afterSeq: 0, limit: 100 })).map((m) => [m.role, m.content]);
  return { store, llm, run, transcript };
}

function newFrom(messages: LlmMessage[]): number {
  return messages.findLastIndex((m) => m.role === 'assistant') + 1;
}

const user = (content: string): LlmMessage => ({ role: 'user', content });
const assistant = (content: string): LlmMessage => ({ role: 'assistant', content });

describe('HistoryTurns', () => {
  it('continues the conversation whose transcript the history is, and reads the request as context', async () => {
    const { run, transcript, llm } = setup([{ reply: 'Hello!' }, { reply: 'Oslo.' }]);
    const first = await run([user('Hi')]);
    expect(first.isNew).toBe(true);
    const id = first.conversation.id;
    const second = await run([user('Hi'), assistant('Hello!'), user('Capital of Norway?')]);
    expect(second).toMatchObject({ isNew: false, conversation: { id, messageCount: 4 } });
    expect(await transcript(id)).toEqual([
      ['user', 'Hi'],
      ['assistant', 'Hello!'],
      ['user', 'Capital of Norway?'],
      ['assistant', 'Oslo.'],
    ]);
    expect(llm.calls[1]?.messages.map((m) => m.content)).toEqual([
      'You are a test.',
      'Hi',
      'Hello!',
      'Capital of Norway?',
    ]);
  });

  it('starts a new conversation holding any other history, leaving the stored one as it was', async () => {
    const { run, transcript } = setup([{ reply: 'Hello!' }, { reply: 'Sure.' }]);
    const first = await run([user('Hi')]);
    const edited = await run([user('Hi'), assistant('Hello there, edited'), user('Go on')]);
    expect(edited.isNew).toBe(true);
    expect(edited.conversation.id).not.toBe(first.conversation.id);
    expect(await transcript(first.conversation.id)).toEqual([
      ['user', 'Hi'],
      ['assistant', 'Hello!'],
    ]);
    expect(await transcript(edited.conversation.id)).toEqual([
      ['user', 'Hi'],
      ['assistant', 'Hello there, edited'],
      ['user', 'Go on'],
      ['assistant', 'Sure.'],
    ]);
  });

  it('regenerating a reply (the same history again) starts a new conversation', async () => {
    const { run } = setup([{ reply: 'A' }, { reply: 'B' }, { reply: 'C' }]);
    await run([user('Hi')]);
    const history = [user('Hi'), assistant('A'), user('More')];
    const once = await run(history);
    const again = await run(history);
    expect(once.isNew).toBe(false);
    expect(again.isNew).toBe(true);
  });

  it('of two requests with the same history at once, one continues and the other starts its own', async () => {
    const { run, store } = setup([{ reply: 'A' }, { reply: 'B' }, { reply: 'C' }]);
    const first = await run([user('Hi')]);
    const history = [user('Hi'), assistant('A'), user('Next')];
    const both = await Promise.all([run(history), run(history)]);
    expect(both.map((r) => r.isNew).sort()).toEqual([false, true]);
    expect(both.find((r) => !r.isNew)?.conversation.id).toBe(first.conversation.id);
    expect(await store.list(ada, { limit: 10 })).toHaveLength(2);
  });

  it('stores nothing with store: false', async () => {
    const { run, store } = setup([{ reply: 'Hello!' }]);
    const result = await run([user('Hi')], { store: false });
    expect(result.conversation.id).toBe('');
    expect(result.reply.content).toBe('Hello!');
    expect(await store.list(ada, { limit: 10 })).toEqual([]);
  });

  it('ends with the client’s tool call pending and continues with its result', async () => {
    const call = { id: 'call_1', name: 'lookup_order', arguments: '{"id": 7}' };
    const { run, transcript } = setup([{ toolCalls: [call] }, { reply: 'It shipped.' }]);
    const first = await run([user('Where is order 7?')], { clientTools: [lookup] });
    expect(first.pendingToolCalls).toEqual([call]);
    // The client echoes the arguments re-serialized, as some SDKs do: the same transcript.
    const echoed = { ...call, arguments: '{"id":7}' };
    const second = await run(
      [
        user('Where is order 7?'),
        { role: 'assistant', content: '', toolCalls: [echoed] },
        { role: 'tool', toolCallId: 'call_1', content: 'shipped' },
      ],
      { clientTools: [lookup] },
    );
    expect(second).toMatchObject({ isNew: false, pendingToolCalls: [], reply: { content: 'It shipped.' } });
    expect(await transcript(first.conversation.id)).toEqual([
      ['user', 'Where is order 7?'],
      ['assistant', ''],
      ['tool', 'shipped'],
      ['assistant', 'It shipped.'],
    ]);
  });

  it('runs the server’s own tools inside the turn beside the client’s', async () => {
    const own = { id: 'own_1', name: 'get_datetime', arguments: '{"timezone":"UTC"}' };
    const theirs = { id: 'call_2', name: 'lookup_order', arguments: '{}' };
    const { run } = setup([{ toolCalls: [own, theirs] }]);
    const result = await run([user('Time and order?')], { clientTools: [lookup] });
    expect(result.toolsUsed).toEqual(['get_datetime']);
    expect(result.pendingToolCalls).toEqual([theirs]);
  });

  it('a failed turn’s conversation matches no history afterwards', async () => {
    const { run } = setup([
      { reply: 'Hello!' },
      { error: new UnavailableError('model down') },
      { reply: 'Back.' },
    ]);
    const first = await run([user('Hi')]);
    const history = [user('Hi'), assistant('Hello!'), user('Still there?')];
    await expect(run(history)).rejects.toThrow('model down');
    const retry = await run(history);
    expect(retry.isNew).toBe(true);
    expect(retry.conversation.id).not.toBe(first.conversation.id);
  });
});
