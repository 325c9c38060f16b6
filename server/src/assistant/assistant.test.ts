import { createLogger } from '@parley/logger';
import { describe, expect, it } from 'vitest';
import { type ToolRunner, toolError, toolOk } from '../tools/tool-runner.ts';
import { Assistant, type AssistantDeps, type ConversationSettings } from './assistant.ts';
import { estimateTokens, type HistoryMessage } from './context-window.ts';
import type { ReplyEvent, ReplyScope } from './reply-scope.ts';
import { ScriptedLlm } from './scripted-llm.ts';
import { Summarizer } from './summarizer.ts';

const logger = createLogger({ name: 'test', level: 'silent', pretty: false });

const conversation: ConversationSettings = {
  systemPrompt: '',
  model: '',
  summary: '',
  summarizedThroughSeq: 0,
};

function history(count: number, size = 200): HistoryMessage[] {
  return Array.from({ length: count }, (_, i) => ({
    seq: i + 1,
    role: i % 2 === 0 ? 'user' : 'assistant',
    content: `message ${i + 1} ${'x'.repeat(size)}`,
  }));
}

/** Records calls; `weather` answers, anything else fails like a broken tool. */
class FakeTools implements ToolRunner {
  readonly calls: { name: string; args: string }[] = [];
  definitions() {
    return [{ name: 'get_weather', description: 'Weather', parameters: { type: 'object' } }];
  }
  async invoke(name: string, args: string) {
    this.calls.push({ name, args });
    return name === 'get_weather'
      ? toolOk(`{"source":"fresh","temp_c":12,"q":${args}}`, 'fresh')
      : toolError(`Unknown tool "${name}".`, 'unknown_tool');
  }
}

/** A request scope that records what the assistant reports. */
function scope(events: ReplyEvent[] = [], signal = new AbortController().signal): ReplyScope {
  return { logger, signal, emit: (event) => events.push(event) };
}

function assistant(llm: ScriptedLlm, overrides: Partial<AssistantDeps> = {}) {
  return new Assistant({
    llm,
    tools: new FakeTools(),
    summarizer: new Summarizer({ llm, logger }),
    systemPrompt: 'You are a test.',
    windowMessages: 60,
    contextBudgetTokens: 2_000,
    maxToolRounds: 3,
    summarizeAfter: 10,
    logger,
    ...overrides,
  });
}

describe('Assistant', () => {
  it('runs the tools the model asks for, in parallel, and answers with their results', async () => {
    const tools = new FakeTools();
    const llm = new ScriptedLlm([
      {
        toolCalls: [
          { id: 'a', name: 'get_weather', arguments: '{"location":"Oslo"}' },
          { id: 'b', name: 'get_weather', arguments: '{"location":"Bergen"}' },
        ],
      },
      { reply: 'Oslo 12°C, Bergen 12°C.' },
    ]);
    const reply = await assistant(llm, { tools }).reply(conversation, history(1, 10), scope());
    expect(reply.content).toBe('Oslo 12°C, Bergen 12°C.');
    expect(reply.toolsUsed).toEqual(['get_weather']);
    expect(reply.toolCalls.map((t) => [t.id, t.isError])).toEqual([
      ['a', false],
      ['b', false],
    ]);
    const second = llm.calls[1]?.messages ?? [];
    expect(
      second.filter((m) => m.role === 'tool').map((m) => (m as { toolCallId: string }).toolCallId),
    ).toEqual(['a', 'b']);
    expect(reply.usage.totalTokens).toBe(30);
  });

  it('reports text as it is written and each tool call as it starts and finishes', async () => {
    const events: ReplyEvent[] = [];
    const llm = new ScriptedLlm([
      async () => {
        return {
          content: 'Let me check.',
          toolCalls: [{ id: 'a', name: 'get_weather', arguments: '{"location":"Oslo"}' }],
          usage: { promptTokens: 1, completionTokens: 1, totalTokens: 2 },
          model: 'scripted',
        };
      },
      { reply: 'Oslo is 12°C.' },
    ]);
    const reply = await assistant(llm).reply(conversation, history(1, 10), scope(events));
    expect(events.map((e) => (e.type === 'tool' ? `${e.phase}:${e.tool.id}` : e.text))).toEqual([
      'Let me c',
      'heck.',
      'started:a',
      'finished:a',
      '\n\n',
      'Oslo is ',
      '12°C.',
    ]);
    const finished = events[3];
    expect(finished).toMatchObject({ tool: { name: 'get_weather', isError: false, provenance: 'builtin' } });
    // What was told is what is stored.
    expect(reply.content).toBe('Let me check.\n\nOslo is 12°C.');
  });

  it('passes the request’s signal and logger to the tools', async () => {
    const seen: { signal?: AbortSignal; logger?: unknown }[] = [];
    const tools: ToolRunner = {
      definitions: () => new FakeTools().definitions(),
      invoke: async (_name, _args, toolScope) => {
        seen.push({ signal: toolScope?.signal, logger: toolScope?.logger });
        return toolOk('ok');
      },
    };
    const llm = new ScriptedLlm([{ toolCalls: [{ id: 'a', name: 'get_weather', arguments: '{}' }] }]);
    const controller = new AbortController();
    await assistant(llm, { tools }).reply(conversation, history(1, 10), scope([], controller.signal));
    expect(seen).toEqual([{ signal: controller.signal, logger }]);
  });

  it('stops offering tools after the round cap and still answers', async () => {
    const ask = { toolCalls: [{ id: 'x', name: 'get_weather', arguments: '{"location":"Oslo"}' }] };
    const llm = new ScriptedLlm([ask, ask, ask, { reply: 'Here is what I found.' }]);
    const reply = await assistant(llm, { maxToolRounds: 3 }).reply(conversation, history(1, 10), scope());
    expect(reply.content).toBe('Here is what I found.');
    expect(llm.calls).toHaveLength(4);
    expect(llm.calls[3]?.tools).toBeUndefined();
    expect(llm.calls[3]?.messages.at(-1)?.content).toContain('maximum number of tool calls');
  });

  it('fails as unavailable when the model finishes without a word, after tools or not', async () => {
    const ask = { toolCalls: [{ id: 'x', name: 'get_weather', arguments: '{"location":"Oslo"}' }] };
    for (const steps of [[{ reply: '' }], [ask, { reply: '' }]]) {
      const failed = await assistant(new ScriptedLlm(steps))
        .reply(conversation, history(1, 10), scope())
        .then(
          () => undefined,
          (err: unknown) => err,
        );
      expect(failed).toMatchObject({
        code: 'unavailable',
        message: 'the model returned an empty answer; try again',
      });
    }
  });

  it('keeps the prompt within the token budget for a 1,000-message conversation', async () => {
    const llm = new ScriptedLlm();
    const big = history(1_000);
    const reply = await assistant(llm, { windowMessages: 60 }).reply(conversation, big.slice(-60), scope());
    const sent = llm.calls[0]?.messages ?? [];
    const tokens = sent.reduce((sum, m) => sum + estimateTokens(m.content), 0);
    expect(tokens).toBeLessThanOrEqual(2_000);
    expect(sent.at(-1)?.content).toBe(big.at(-1)?.content);
    // The messages that fell out of the budget are folded into a summary by a second, small call.
    expect(reply.summary?.throughSeq).toBeGreaterThan(940);
    expect(llm.calls[1]?.maxTokens).toBe(400);
  });

  it('sends the stored summary instead of the turns it covers', async () => {
    const llm = new ScriptedLlm();
    const summarized = {
      ...conversation,
      summary: 'They planned a trip to Bergen.',
      summarizedThroughSeq: 4,
    };
    await assistant(llm).reply(summarized, history(6, 10), scope());
    const sent = llm.calls[0]?.messages ?? [];
    expect(sent[0]?.content).toContain('They planned a trip to Bergen.');
    expect(sent.slice(1).map((m) => m.content.split(' ')[1])).toEqual(['5', '6']);
  });

  it('uses the conversation’s own system prompt and model', async () => {
    const llm = new ScriptedLlm();
    await assistant(llm).reply(
      { ...conversation, systemPrompt: 'Answer in haiku.', model: 'tiny' },
      history(1, 5),
      scope(),
    );
    expect(llm.calls[0]?.messages[0]?.content).toBe('Answer in haiku.');
    expect(llm.calls[0]?.model).toBe('tiny');
  });

  it('makes a short title, and none when the model fails', async () => {
    const llm = new ScriptedLlm([{ reply: '"Weekend in Bergen."' }, { error: new Error('down') }]);
    const a = assistant(llm);
    expect(await a.title('Plan a weekend in Bergen for two')).toBe('Weekend in Bergen');
    expect(await a.title('anything')).toBeNull();
  });
});
