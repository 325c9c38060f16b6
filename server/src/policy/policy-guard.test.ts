import { type ClientPolicy, permissiveLocalPolicy } from '@parley/config';
import { createLogger } from '@parley/logger';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { UNLINKED } from '../people/identity.ts';
import { EmbeddedUsageLedger } from './embedded-usage-ledger.ts';
import { PolicyGuard } from './policy-guard.ts';
import { RateLimiter } from './rate-limiter.ts';

const logger = createLogger({ name: 'test', level: 'silent', pretty: false });
const ada = { clientId: 'bot', userId: 'ada' };
const bob = { clientId: 'bot', userId: 'bob' };

function policy(overrides: Partial<ClientPolicy> = {}): ClientPolicy {
  return {
    client: 'bot',
    role: 'user',
    models: ['gpt-4o-mini', 'gpt-4o'],
    systemPrompt: 'deny',
    tools: ['*'],
    rateLimits: {},
    budgets: { daily: {}, monthly: {} },
    ...overrides,
  };
}

async function refusal(work: Promise<unknown>) {
  const err = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!err) throw new Error('expected a refusal');
  return err as { code: string; message: string; meta: Record<string, string> };
}

describe('PolicyGuard', () => {
  let now: Date;
  let ledger: EmbeddedUsageLedger;
  let guard: PolicyGuard;

  beforeEach(() => {
    now = new Date('2026-03-31T23:59:00.000Z');
    ledger = new EmbeddedUsageLedger({ path: ':memory:' });
    guard = new PolicyGuard({
      ledger,
      limiter: new RateLimiter({ logger }),
      prices: { 'gpt-4o': { input: 2.5, output: 10 } },
      defaultModel: 'gpt-4o-mini',
      people: UNLINKED,
      clock: () => now,
      logger,
    });
  });
  afterEach(async () => {
    vi.useRealTimers();
    await ledger.close();
  });

  it('runs a turn on the default model, or on an allowed one asked for', async () => {
    expect(await guard.admit({ policy: policy(), owner: ada })).toEqual({ model: 'gpt-4o-mini' });
    expect(await guard.admit({ policy: policy(), owner: ada, model: 'gpt-4o' })).toEqual({ model: 'gpt-4o' });
    expect(await guard.admit({ policy: permissiveLocalPolicy(), owner: ada, model: 'llama3.2' })).toEqual({
      model: 'llama3.2',
    });
  });

  it('refuses a model outside the policy, listing the allowed ones', async () => {
    const err = await refusal(guard.admit({ policy: policy(), owner: ada, model: 'o3-pro' }));
    expect(err).toMatchObject({
      code: 'permission_denied',
      meta: { argument: 'model', allowed_models: 'gpt-4o-mini,gpt-4o' },
    });
  });

  it('refuses a blocked user before anything else, and admits again once unblocked', async () => {
    await ledger.block(ada, { reason: 'abuse', blockedAt: now, blockedBy: 'ops' });
    const err = await refusal(guard.admit({ policy: policy(), owner: ada, model: 'o3-pro' }));
    expect(err).toMatchObject({ code: 'permission_denied', meta: { blocked: 'true' } });
    expect(err.message).not.toContain('abuse');
    expect(await guard.admit({ policy: policy(), owner: bob })).toBeDefined();
    await ledger.unblock(ada);
    expect(await guard.admit({ policy: policy(), owner: ada })).toBeDefined();
  });

  it('limits turns per user per minute with retry_after, each user apart, and frees them a minute on', async () => {
    vi.useFakeTimers({ now });
    const limited = policy({ rateLimits: { userTurnsPerMinute: 2 } });
    await guard.admit({ policy: limited, owner: ada });
    await guard.admit({ policy: limited, owner: ada });
    vi.advanceTimersByTime(15_000);
    const err = await refusal(guard.admit({ policy: limited, owner: ada }));
    expect(err).toMatchObject({
      code: 'resource_exhausted',
      meta: { limit: 'user-turns', retry_after: '45' },
    });
    expect(await guard.admit({ policy: limited, owner: bob })).toBeDefined();
    vi.advanceTimersByTime(45_001);
    expect(await guard.admit({ policy: limited, owner: ada })).toBeDefined();
  });

  it('limits the whole client, without using up a user’s own allowance on a refusal', async () => {
    const limited = policy({ rateLimits: { userTurnsPerMinute: 2, clientTurnsPerMinute: 2 } });
    await guard.admit({ policy: limited, owner: ada });
    await guard.admit({ policy: limited, owner: bob });
    const err = await refusal(guard.admit({ policy: limited, owner: ada }));
    expect(err.meta.limit).toBe('client-turns');
    // Ada's refused attempt was given back: one more of her own would pass a fresh client window.
    const other = policy({ client: 'bot', rateLimits: { userTurnsPerMinute: 2 } });
    expect(await guard.admit({ policy: other, owner: ada })).toBeDefined();
  });

  it('caps conversations created per user per day, apart from turns', async () => {
    const capped = policy({ rateLimits: { userConversationsPerDay: 1 } });
    await guard.admit({ policy: capped, owner: ada, newConversation: true, turn: false });
    const err = await refusal(guard.admit({ policy: capped, owner: ada, newConversation: true }));
    expect(err).toMatchObject({ code: 'resource_exhausted', meta: { limit: 'user-conversations' } });
    expect(Number(err.meta.retry_after)).toBeGreaterThan(86_000);
    expect(await guard.admit({ policy: capped, owner: ada })).toBeDefined();
  });

  it('refuses a turn once the daily token budget is used, until the next UTC midnight', async () => {
    const budgeted = policy({ budgets: { daily: { tokens: 1000 }, monthly: {} } });
    await guard.admit({ policy: budgeted, owner: ada });
    await guard.charge(ada, 'gpt-4o-mini', { inputTokens: 900, outputTokens: 100 });
    const err = await refusal(guard.admit({ policy: budgeted, owner: ada }));
    expect(err).toMatchObject({
      code: 'resource_exhausted',
      meta: { budget: 'daily_tokens', resets_at: '2026-04-01T00:00:00.000Z', retry_after: '60' },
    });
    expect(await guard.admit({ policy: budgeted, owner: bob })).toBeDefined();
    now = new Date('2026-04-01T00:00:00.000Z');
    expect(await guard.admit({ policy: budgeted, owner: ada })).toBeDefined();
  });

  it('keeps a monthly money budget, priced per model, until the first of the next month', async () => {
    now = new Date('2026-03-10T12:00:00.000Z');
    const budgeted = policy({ budgets: { daily: {}, monthly: { costMicros: 1_000_000 } } });
    // 100k input × 2.5 + 75k output × 10 per 1M = 0.25 + 0.75 = 1.00
    const charged = await guard.charge(ada, 'gpt-4o', { inputTokens: 100_000, outputTokens: 75_000 });
    expect(charged).toEqual({ inputTokens: 100_000, outputTokens: 75_000, costMicros: 1_000_000 });
    now = new Date('2026-03-31T23:59:59.000Z');
    const err = await refusal(guard.admit({ policy: budgeted, owner: ada }));
    expect(err.meta).toMatchObject({ budget: 'monthly_cost', resets_at: '2026-04-01T00:00:00.000Z' });
    now = new Date('2026-04-01T00:00:00.000Z');
    expect(await guard.admit({ policy: budgeted, owner: ada })).toBeDefined();
  });

  it('gives back the conversation a budget refusal did not create', async () => {
    const both = policy({
      rateLimits: { userConversationsPerDay: 1 },
      budgets: { daily: { tokens: 10 }, monthly: {} },
    });
    await guard.charge(ada, 'gpt-4o-mini', { inputTokens: 10, outputTokens: 0 });
    const err = await refusal(guard.admit({ policy: both, owner: ada, newConversation: true }));
    expect(err.meta.budget).toBe('daily_tokens');
    expect(await guard.admit({ policy: both, owner: ada, newConversation: true, turn: false })).toBeDefined();
  });

  it('applies a user’s budget override over the client policy', async () => {
    const budgeted = policy({ budgets: { daily: { tokens: 100 }, monthly: {} } });
    await guard.charge(ada, 'gpt-4o-mini', { inputTokens: 150, outputTokens: 0 });
    await ledger.setBudget(ada, { daily: { tokens: 1000 } });
    expect(await guard.admit({ policy: budgeted, owner: ada })).toBeDefined();
    await ledger.setBudget(ada, { daily: { tokens: 100 } });
    expect((await refusal(guard.admit({ policy: budgeted, owner: ada }))).meta.budget).toBe('daily_tokens');
  });

  it('reports the user’s usage, limits, what is left and when each resets', async () => {
    now = new Date('2026-03-15T08:00:00.000Z');
    const budgeted = policy({
      budgets: { daily: { tokens: 1000 }, monthly: { tokens: 10_000, costMicros: 5_000_000 } },
    });
    await guard.charge(ada, 'gpt-4o', { inputTokens: 200, outputTokens: 100 });
    now = new Date('2026-03-16T08:00:00.000Z');
    await guard.charge(ada, 'gpt-4o-mini', { inputTokens: 50, outputTokens: 50 });
    const status = await guard.status(budgeted, ada);
    expect(status.blocked).toBe(false);
    expect(status.daily).toEqual({
      range: { from: '2026-03-16', to: '2026-03-16' },
      used: { inputTokens: 50, outputTokens: 50, costMicros: 0, turns: 1 },
      limit: { tokens: 1000 },
      remaining: { tokens: 900 },
      resetsAt: new Date('2026-03-17T00:00:00.000Z'),
    });
    expect(status.monthly).toMatchObject({
      range: { from: '2026-03-01', to: '2026-03-16' },
      used: { inputTokens: 250, outputTokens: 150, costMicros: 1500, turns: 2 },
      remaining: { tokens: 9600, costMicros: 4_998_500 },
      resetsAt: new Date('2026-04-01T00:00:00.000Z'),
    });
  });

  it('logs and goes on when the ledger cannot take a charge', async () => {
    const errors: unknown[] = [];
    const watched = { ...logger, error: (...args: unknown[]) => void errors.push(args) } as typeof logger;
    await ledger.close();
    const broken = new PolicyGuard({
      ledger,
      limiter: new RateLimiter({ logger }),
      prices: {},
      defaultModel: 'gpt-4o-mini',
      people: UNLINKED,
      clock: () => now,
      logger: watched,
    });
    expect(await broken.charge(ada, 'gpt-4o-mini', { inputTokens: 1, outputTokens: 1 })).toMatchObject({
      costMicros: 0,
    });
    expect(errors).toHaveLength(1);
  });
});
