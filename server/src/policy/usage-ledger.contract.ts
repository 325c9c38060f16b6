import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { UsageLedger, UsageOwner } from './usage-ledger.ts';

export interface UsageLedgerFixture {
  ledger: UsageLedger;
  cleanup?: () => Promise<void>;
}

const amount = (inputTokens: number, outputTokens: number, costMicros = 0) => ({
  inputTokens,
  outputTokens,
  costMicros,
});

/**
 * The behaviour every UsageLedger must have, as one vitest `describe`. The factory gives a fresh ledger
 * per test; client names are unique per test, so ledgers may share one database.
 */
export function describeUsageLedger(name: string, factory: () => Promise<UsageLedgerFixture>): void {
  describe(name, () => {
    let fixture: UsageLedgerFixture | undefined;
    let client: string;
    let ada: UsageOwner;
    let bob: UsageOwner;

    const ledger = (): UsageLedger => {
      if (!fixture) throw new Error('ledger factory has not run');
      return fixture.ledger;
    };

    beforeEach(async () => {
      fixture = await factory();
      client = `client-${randomUUID()}`;
      ada = { clientId: client, userId: 'ada' };
      bob = { clientId: client, userId: 'bob' };
    });

    afterEach(async () => {
      const done = fixture;
      fixture = undefined;
      await done?.ledger.close();
      await done?.cleanup?.();
    });

    it('sums charges over a day range across models, zeros when nothing was charged', async () => {
      expect(await ledger().totals(ada, { from: '2026-03-01', to: '2026-03-31' })).toEqual({
        inputTokens: 0,
        outputTokens: 0,
        costMicros: 0,
        turns: 0,
      });
      await ledger().charge(ada, 'gpt-4o-mini', '2026-03-01', amount(100, 20, 30));
      await ledger().charge(ada, 'gpt-4o-mini', '2026-03-01', amount(50, 10, 15));
      await ledger().charge(ada, 'gpt-4o', '2026-03-02', amount(1, 2, 3));
      await ledger().charge(ada, 'gpt-4o', '2026-04-01', amount(1000, 1000, 1000));
      await ledger().charge(bob, 'gpt-4o', '2026-03-02', amount(7, 7, 7));
      expect(await ledger().totals(ada, { from: '2026-03-01', to: '2026-03-31' })).toEqual({
        inputTokens: 151,
        outputTokens: 32,
        costMicros: 48,
        turns: 3,
      });
      expect(await ledger().totals(ada, { from: '2026-03-02', to: '2026-03-02' })).toMatchObject({
        inputTokens: 1,
        turns: 1,
      });
    });

    it('counts every one of many concurrent charges', async () => {
      await Promise.all(
        Array.from({ length: 25 }, () => ledger().charge(ada, 'gpt-4o-mini', '2026-03-05', amount(2, 1, 1))),
      );
      expect(await ledger().totals(ada, { from: '2026-03-05', to: '2026-03-05' })).toEqual({
        inputTokens: 50,
        outputTokens: 25,
        costMicros: 25,
        turns: 25,
      });
      const rows = await ledger().report({
        range: { from: '2026-03-05', to: '2026-03-05' },
        by: 'model',
        clientId: client,
      });
      expect(rows).toHaveLength(1);
    });

    it('reports by user, model, day and client, most expensive first', async () => {
      const other = { clientId: `other-${randomUUID()}`, userId: 'ada' };
      await ledger().charge(ada, 'gpt-4o-mini', '2026-03-01', amount(100, 0, 10));
      await ledger().charge(bob, 'gpt-4o', '2026-03-01', amount(10, 0, 500));
      await ledger().charge(bob, 'gpt-4o-mini', '2026-03-03', amount(100, 0, 10));
      await ledger().charge(other, 'gpt-4o', '2026-03-02', amount(1, 1, 1));
      const range = { from: '2026-03-01', to: '2026-03-03' };

      const byUser = await ledger().report({ range, by: 'user', clientId: client });
      expect(byUser).toEqual([
        { clientId: client, userId: 'bob', inputTokens: 110, outputTokens: 0, costMicros: 510, turns: 2 },
        { clientId: client, userId: 'ada', inputTokens: 100, outputTokens: 0, costMicros: 10, turns: 1 },
      ]);
      const byModel = await ledger().report({ range, by: 'model', clientId: client });
      expect(byModel.map((r) => [r.model, r.costMicros])).toEqual([
        ['gpt-4o', 500],
        ['gpt-4o-mini', 20],
      ]);
      const byDay = await ledger().report({ range, by: 'day', clientId: client, userId: 'bob' });
      expect(byDay.map((r) => [r.day, r.turns])).toEqual([
        ['2026-03-01', 1],
        ['2026-03-03', 1],
      ]);
      const byClient = await ledger().report({ range, by: 'client' });
      const mine = byClient.filter((r) => r.clientId === client || r.clientId === other.clientId);
      expect(mine).toEqual([
        { clientId: client, inputTokens: 210, outputTokens: 0, costMicros: 520, turns: 3 },
        { clientId: other.clientId, inputTokens: 1, outputTokens: 1, costMicros: 1, turns: 1 },
      ]);
    });

    it('gives the top users: a user report with a limit, ties by tokens', async () => {
      for (const [user, tokens] of [
        ['u1', 10],
        ['u2', 30],
        ['u3', 20],
      ] as const) {
        await ledger().charge({ clientId: client, userId: user }, 'm', '2026-03-10', amount(tokens, tokens));
      }
      const top = await ledger().report({
        range: { from: '2026-03-01', to: '2026-03-31' },
        by: 'user',
        clientId: client,
        limit: 2,
      });
      expect(top.map((r) => [r.userId, r.inputTokens + r.outputTokens])).toEqual([
        ['u2', 60],
        ['u3', 40],
      ]);
      expect(
        await ledger().report({
          range: { from: '2026-04-01', to: '2026-04-30' },
          by: 'user',
          clientId: client,
        }),
      ).toEqual([]);
    });

    it('blocks and unblocks a user, listing who is blocked', async () => {
      expect(await ledger().controls(ada)).toEqual({});
      const blockedAt = new Date('2026-03-01T10:00:00.000Z');
      await ledger().block(ada, { reason: 'abuse', blockedAt, blockedBy: 'ops' });
      await ledger().block(bob, {
        reason: 'spam',
        blockedAt: new Date('2026-03-01T09:00:00.000Z'),
        blockedBy: 'ops',
      });
      expect(await ledger().controls(ada)).toEqual({
        blocked: { reason: 'abuse', blockedAt, blockedBy: 'ops' },
      });
      expect((await ledger().blockedUsers(client)).map((b) => b.userId)).toEqual(['bob', 'ada']);

      expect(await ledger().unblock(ada)).toBe(true);
      expect(await ledger().unblock(ada)).toBe(false);
      expect(await ledger().unblock({ clientId: client, userId: 'never-seen' })).toBe(false);
      expect(await ledger().controls(ada)).toEqual({});
      expect((await ledger().blockedUsers(client)).map((b) => b.userId)).toEqual(['bob']);
    });

    it('keeps a budget override beside a block, and removes it', async () => {
      const budget = { daily: { tokens: 1000 }, monthly: { tokens: 20_000, costMicros: 5_000_000 } };
      await ledger().setBudget(ada, budget);
      expect(await ledger().controls(ada)).toEqual({ budget });
      const blockedAt = new Date('2026-03-02T00:00:00.000Z');
      await ledger().block(ada, { reason: 'paused', blockedAt, blockedBy: 'ops' });
      await ledger().setBudget(ada, { daily: {} });
      expect(await ledger().controls(ada)).toEqual({
        blocked: { reason: 'paused', blockedAt, blockedBy: 'ops' },
        budget: { daily: {} },
      });
      await ledger().unblock(ada);
      await ledger().setBudget(ada, null);
      expect(await ledger().controls(ada)).toEqual({});
      expect(await ledger().controls(bob)).toEqual({});
    });

    it('answers a ping', async () => {
      await expect(ledger().ping()).resolves.toBeUndefined();
    });
  });
}
