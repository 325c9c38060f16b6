import { Conversation, GetUsageResponse, Timestamp } from '@parley/rpc';
import { FakeUsageClient } from '@parley/rpc/testing';
import { describe, expect, it } from 'vitest';
import { textsFor } from '../i18n/texts.ts';
import { botHarness, command } from '../testing/bot-harness.ts';
import { expectTelegramHtml } from '../testing/expect-telegram-html.ts';
import { usageHtml } from './usage.ts';

const now = new Date('2026-05-01T19:00:00Z');
const tomorrow = Timestamp.fromDate(new Date('2026-05-02T00:00:00Z'));

describe('/usage', () => {
  it('asks the server about the user and shows the current conversation’s model', async () => {
    const usage = new FakeUsageClient({ defaultModel: 'gpt-4o-mini' });
    const bot = botHarness({
      usage,
      parley: {
        getSession: async () => ({ conversation: Conversation.create({ id: 'c1', model: 'gpt-4o' }) }),
      },
    });
    await bot.send(command(1, '/usage'));
    expect(usage.calls).toEqual([{ method: 'getUsage', request: { userId: '7' } }]);
    expect(bot.parley.requests('getSession')).toEqual([
      { session: { platform: 'telegram', userId: '7', chatId: '7' } },
    ]);
    const text = String(bot.messages()[0]?.text);
    expect(text).toContain('<b>Your usage</b>');
    expect(text).toContain('Model: <code>gpt-4o</code>');
  });

  it('asks about the group in a group, which owns its conversations', async () => {
    const usage = new FakeUsageClient();
    const bot = botHarness({ usage });
    await bot.send(command(1, '/usage', { group: true, from: 8 }));
    expect(usage.calls[0]?.request).toEqual({ userId: 'group:-100' });
    expect(bot.messages()[0]?.text).toContain('This group’s usage');
  });
});

describe('usageHtml', () => {
  it('shows tokens used, the limit, what is left and when it resets; no money when unpriced', () => {
    const usage = GetUsageResponse.create({
      daily: {
        used: { inputTokens: '1000', outputTokens: '234', costMicros: '0', turns: '3' },
        limit: { tokens: '200000' },
        remaining: { tokens: '198766' },
        resetsAt: tomorrow,
      },
      monthly: { used: { inputTokens: '5000', outputTokens: '0', costMicros: '0', turns: '9' } },
      defaultModel: 'gpt-4o-mini',
      currency: 'USD',
    });
    const html = usageHtml(usage, '', false, textsFor('en'), now);
    expect(html.split('\n')).toEqual([
      '<b>Your usage</b>',
      'Today: 1,234 of 200,000 tokens · 198,766 left · resets in 5 hours',
      'This month: 5,000 tokens (no limit)',
      'Model: <code>gpt-4o-mini</code> — change it with /model',
    ]);
    expectTelegramHtml(html);
  });

  it('adds cost lines when priced, and says when the user is blocked', () => {
    const usage = GetUsageResponse.create({
      daily: {
        used: { inputTokens: '10', outputTokens: '5', costMicros: '1500', turns: '1' },
        limit: { costMicros: '1000000' },
        remaining: { costMicros: '998500' },
      },
      currency: 'EUR',
      blocked: true,
      defaultModel: 'm<1>',
    });
    const html = usageHtml(usage, '', false, textsFor('en'), now);
    expect(html).toContain('Today, cost: 0.0015 EUR of 1.00 EUR · 0.9985 EUR left');
    expect(html).toContain('This month, cost: 0.00 EUR (no limit)');
    expect(html).toContain('⛔ Blocked');
    expectTelegramHtml(html);
  });
});
