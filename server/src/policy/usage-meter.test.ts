import { describe, expect, it } from 'vitest';
import { gate } from '../../../tests/support/gate.ts';
import type { LlmUsage } from '../assistant/llm.ts';
import { ScriptedLlm } from '../assistant/scripted-llm.ts';
import type { UsageOwner } from './usage-ledger.ts';
import { MeteredLlm, UsageMeter } from './usage-meter.ts';

const owner = { clientId: 'bot', userId: '42' };
const ask = { messages: [{ role: 'user' as const, content: 'hi' }] };

function setup() {
  const late: [UsageOwner, string, LlmUsage][] = [];
  const meter = new UsageMeter({ onLateUsage: (...args) => late.push(args) });
  const llm = new MeteredLlm({ llm: new ScriptedLlm(), meter, defaultModel: 'default-model' });
  return { meter, llm, late };
}

describe('UsageMeter', () => {
  it('sums every model call made inside a turn, by model', async () => {
    const { meter, llm } = setup();
    const { outcome, usage } = await meter.measure(owner, async () => {
      await llm.complete(ask);
      await Promise.all([llm.complete(ask), llm.complete({ ...ask, model: 'small' })]);
      return 'reply';
    });
    expect(outcome).toEqual({ status: 'fulfilled', value: 'reply' });
    expect(Object.fromEntries(usage)).toEqual({
      'default-model': { inputTokens: 20, outputTokens: 10 },
      small: { inputTokens: 10, outputTokens: 5 },
    });
  });

  it('keeps the usage of a turn that failed after calling the model', async () => {
    const { meter, llm } = setup();
    const { outcome, usage } = await meter.measure(owner, async () => {
      await llm.complete(ask);
      throw new Error('store down');
    });
    expect(outcome.status).toBe('rejected');
    expect(usage.get('default-model')).toEqual({ inputTokens: 10, outputTokens: 5 });
  });

  it('hands calls that finish after the turn (a background title) to the late charge', async () => {
    const { meter, llm, late } = setup();
    const turnOver = gate();
    let background: Promise<unknown> = Promise.resolve();
    const { usage } = await meter.measure(owner, async () => {
      background = turnOver.opened.then(() => llm.complete({ ...ask, model: 'titles' }));
    });
    // The background call is made once the turn has ended.
    turnOver.open();
    await background;
    expect(usage.size).toBe(0);
    expect(late).toEqual([[owner, 'titles', { promptTokens: 10, completionTokens: 5, totalTokens: 15 }]]);
  });

  it('charges nothing for calls outside any turn', async () => {
    const { llm, late } = setup();
    await llm.complete(ask);
    expect(late).toEqual([]);
  });
});
