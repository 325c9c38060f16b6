import { describe, expect, it } from 'vitest';
import { LazyLlm } from './lazy-llm.ts';
import { ScriptedLlm } from './scripted-llm.ts';

const ask = { messages: [{ role: 'user' as const, content: 'hi' }] };

describe('LazyLlm', () => {
  it('builds the model on the first call, once, even for calls made while it loads', async () => {
    const model = new ScriptedLlm([{ reply: 'one' }, { reply: 'two' }, { reply: 'three' }]);
    let loads = 0;
    const llm = new LazyLlm(async () => {
      loads += 1;
      return model;
    });
    expect(loads).toBe(0);
    expect(llm.configured).toBe(true);

    const replies = await Promise.all([llm.complete(ask), llm.complete(ask)]);
    expect(replies.map((r) => r.content).sort()).toEqual(['one', 'two']);
    expect((await llm.complete(ask)).content).toBe('three');
    expect(loads).toBe(1);
  });

  it('tries the load again on the next call after a failed one', async () => {
    let loads = 0;
    const llm = new LazyLlm(async () => {
      loads += 1;
      if (loads === 1) throw new Error('module not found');
      return new ScriptedLlm([{ reply: 'loaded' }]);
    });
    await expect(llm.complete(ask)).rejects.toThrow('module not found');
    expect((await llm.complete(ask)).content).toBe('loaded');
    expect(loads).toBe(2);
  });
});
