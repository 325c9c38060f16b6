import { UsageGrouping } from '@parley/rpc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScriptedLlm } from '../../server/src/assistant/scripted-llm.ts';
import { OTHER_KEY, type RunningParley, startParley } from '../support/parley.ts';
import { rpcError as refusal } from '../support/rpc-error.ts';

// Client policy over real HTTP on the embedded store: `test` is a user-role client, `other` an admin.

const chat = (userId: string) => ({ platform: 'telegram', userId, chatId: `chat-${userId}` });

describe('client policy', () => {
  let parley: RunningParley;
  const llm = new ScriptedLlm();

  beforeAll(async () => {
    parley = await startParley({
      overrides: { llm },
      env: {
        ADMIN_CLIENTS: 'other',
        ALLOWED_MODELS: 'small-model',
        RATE_LIMIT_USER_TURNS_PER_MINUTE: '3',
        RATE_LIMIT_USER_CONVERSATIONS_PER_DAY: '2',
        MODEL_PRICES: 'gpt-4o-mini=1/2,small-model=0.5/1',
      },
    });
  });
  afterAll(() => parley.cleanup());

  it('refuses a turn over the per-user rate limit before storing anything', async () => {
    const client = parley.client();
    const session = chat('rate');
    for (let i = 0; i < 3; i++) await client.continueConversation({ message: `m${i}`, session });
    const refused = await refusal(client.continueConversation({ message: 'one too many', session }));
    expect(refused.code).toBe('resource_exhausted');
    expect(refused.meta.limit).toBe('user-turns');
    expect(Number(refused.meta.retry_after)).toBeGreaterThan(0);
    const current = await client.getSession({ session });
    const described = await client.describeConversation({
      conversationId: current.conversation?.id ?? '',
      session,
    });
    expect(described.messages.map((m) => m.content)).not.toContain('one too many');
  });

  it('refuses a model outside the policy and a system prompt the client may not set', async () => {
    const client = parley.client();
    const session = chat('models');
    const model = await refusal(client.startConversation({ message: 'hi', model: 'gpt-5-huge', session }));
    expect(model.code).toBe('permission_denied');
    expect(model.meta.allowed_models).toBe('gpt-4o-mini,small-model');
    const prompt = await refusal(
      client.startConversation({ message: 'hi', systemPrompt: 'Be evil.', session }),
    );
    expect(prompt.code).toBe('permission_denied');
    expect(prompt.meta.argument).toBe('system_prompt');
    const allowed = await client.startConversation({ message: 'hi', model: 'small-model', session });
    expect(allowed.reply?.content).toBe('Echo: hi');
    expect(llm.calls.at(-1)?.model).toBe('small-model');
    // The chat's current conversation names its model, so clients can show what the next turn runs on.
    expect(allowed.conversation?.model).toBe('small-model');
    expect((await client.getSession({ session })).conversation?.model).toBe('small-model');
  });

  it('caps the conversations a user starts per day', async () => {
    const client = parley.client();
    const session = { platform: 'cli', userId: 'starter', chatId: '' };
    await client.startConversation({ session });
    await client.startConversation({ session });
    const refused = await refusal(client.startConversation({ session }));
    expect(refused.code).toBe('resource_exhausted');
    expect(refused.meta.limit).toBe('user-conversations');
  });

  it('refuses admin calls to a user-role key', async () => {
    const refused = await refusal(parley.admin().getUsageReport({}));
    expect(refused.code).toBe('permission_denied');
    const block = await refusal(parley.admin().blockUser({ clientId: 'test', userId: 'x' }));
    expect(block.code).toBe('permission_denied');
  });

  it('lets an admin report usage, block and unblock a user, and set a budget', async () => {
    const admin = parley.admin({ apiKey: OTHER_KEY, json: true });
    const report = await admin.getUsageReport({});
    // `rate` made three turns of one scripted call each: 10 + 5 tokens, at 1 and 2 per 1M tokens.
    const rateRow = report.rows.find((r) => r.userId === 'rate');
    expect(rateRow).toMatchObject({
      clientId: 'test',
      totals: { inputTokens: '30', outputTokens: '15', costMicros: '60', turns: '3' },
    });
    const byModel = await admin.getUsageReport({ groupBy: UsageGrouping.MODEL });
    expect(byModel.rows.map((r) => r.model).sort()).toEqual(['gpt-4o-mini', 'small-model']);
    const top = await admin.listTopUsers({ limit: 1 });
    expect(top.users).toHaveLength(1);

    const session = chat('blocked');
    expect(report.rows.length).toBeGreaterThan(0);
    await admin.blockUser({ clientId: 'test', userId: 'blocked', reason: 'abuse' });
    const refused = await refusal(parley.client().continueConversation({ message: 'hi', session }));
    expect(refused.code).toBe('permission_denied');
    expect((await admin.listBlockedUsers({})).users.map((u) => u.userId)).toEqual(['blocked']);
    expect((await admin.unblockUser({ clientId: 'test', userId: 'blocked' })).wasBlocked).toBe(true);
    await parley.client().continueConversation({ message: 'hi again', session });

    await admin.setUserBudget({ clientId: 'test', userId: 'rate', daily: { tokens: '1000' } });
    const limited = await parley.usage().getUsage({ userId: 'rate' });
    expect(limited.daily?.limit?.tokens).toBe('1000');
    expect(limited.daily?.remaining?.tokens).toBe('955');
  });

  it('exports refusals by reason and charged tokens and cost by client and model', async () => {
    const text = await (await fetch(`${parley.url}/metrics`)).text();
    expect(text).toMatch(/parley_policy_refusals_total\{reason="user-turns"\} [1-9]/);
    expect(text).toMatch(/parley_policy_refusals_total\{reason="model"\} [1-9]/);
    expect(text).toMatch(/parley_usage_tokens_total\{client="test",model="gpt-4o-mini",kind="input"\} \d+/);
    expect(text).toMatch(/parley_usage_cost_total\{client="test",model="gpt-4o-mini"\} [0-9.e-]+/);
    expect(text).not.toContain('userId');
  });
});

describe('budgets', () => {
  let parley: RunningParley;
  // The clock the server (and its budgets) reads; the test moves it past midnight.
  let now = new Date('2026-03-31T23:50:00Z');

  beforeAll(async () => {
    parley = await startParley({
      overrides: { llm: new ScriptedLlm(), clock: () => now },
      // The scripted model uses 15 tokens a call: two turns fit, the third starts over budget.
      env: { BUDGET_DAILY_TOKENS: '30' },
    });
  });
  afterAll(() => parley.cleanup());

  it('charges real usage, refuses a turn over the daily budget, and lets it run again after midnight', async () => {
    const client = parley.client();
    const session = chat('budget');
    await client.continueConversation({ message: 'one', session });
    await client.continueConversation({ message: 'two', session });
    const usage = await parley.usage().getUsage({ userId: 'budget' });
    expect(usage.daily?.used).toMatchObject({ inputTokens: '20', outputTokens: '10', turns: '2' });
    expect(usage.daily?.remaining?.tokens).toBe('0');
    expect(usage.currency).toBe('USD');
    expect(usage.allowedModels).toEqual(['gpt-4o-mini']);

    const refused = await refusal(client.continueConversation({ message: 'three', session }));
    expect(refused.code).toBe('resource_exhausted');
    expect(refused.meta.budget).toBe('daily_tokens');
    expect(refused.meta.resets_at).toBe('2026-04-01T00:00:00.000Z');

    now = new Date('2026-04-01T00:00:05Z');
    const next = await client.continueConversation({ message: 'three', session });
    expect(next.reply?.content).toBe('Echo: three');
    const fresh = await parley.usage().getUsage({ userId: 'budget' });
    expect(fresh.daily?.firstDay).toBe('2026-04-01');
    expect(fresh.daily?.used?.inputTokens).toBe('10');
  });
});
