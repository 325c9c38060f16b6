import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EmbeddedUsageLedger } from './embedded-usage-ledger.ts';
import { describeUsageLedger } from './usage-ledger.contract.ts';

describeUsageLedger('EmbeddedUsageLedger', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'parley-usage-'));
  const ledger = new EmbeddedUsageLedger({ path: join(dir, 'usage.db') });
  return { ledger, cleanup: () => rm(dir, { recursive: true, force: true }) };
});

describe('EmbeddedUsageLedger on SQLite', () => {
  let dir: string;
  let path: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'parley-usage-'));
    path = join(dir, 'nested', 'usage.db');
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('keeps usage and controls across close and reopen', async () => {
    const owner = { clientId: 'bot', userId: 'ada' };
    const first = new EmbeddedUsageLedger({ path });
    await first.charge(owner, 'gpt-4o-mini', '2026-03-01', {
      inputTokens: 5,
      outputTokens: 6,
      costMicros: 7,
    });
    await first.setBudget(owner, { daily: { tokens: 10 } });
    await first.close();
    const second = new EmbeddedUsageLedger({ path });
    try {
      expect(await second.totals(owner, { from: '2026-03-01', to: '2026-03-01' })).toEqual({
        inputTokens: 5,
        outputTokens: 6,
        costMicros: 7,
        turns: 1,
      });
      expect(await second.controls(owner)).toEqual({ budget: { daily: { tokens: 10 } } });
    } finally {
      await second.close();
    }
  });

  it("sees another process's block and budget on the next admission read", async () => {
    // Two ledgers on one file stand for two server processes sharing it (WORKERS > 1).
    const owner = { clientId: 'bot', userId: 'ada' };
    const ours = new EmbeddedUsageLedger({ path });
    const theirs = new EmbeddedUsageLedger({ path });
    try {
      expect(await ours.controls(owner)).toEqual({});
      await theirs.block(owner, { reason: 'spam', blockedAt: new Date(1_000), blockedBy: 'admin' });
      expect((await ours.controls(owner)).blocked?.reason).toBe('spam');
      await theirs.unblock(owner);
      await theirs.setBudget(owner, { daily: { tokens: 10 } });
      expect(await ours.controls(owner)).toEqual({ budget: { daily: { tokens: 10 } } });
      await ours.setBudget(owner, null);
      expect(await ours.controls(owner)).toEqual({});
      expect(await theirs.controls(owner)).toEqual({});
    } finally {
      await Promise.all([ours.close(), theirs.close()]);
    }
  });

  it('refuses a database written by a newer schema', async () => {
    await new EmbeddedUsageLedger({ path }).close();
    const db = new Database(path);
    db.pragma('user_version = 99');
    db.close();
    expect(() => new EmbeddedUsageLedger({ path })).toThrow(
      expect.objectContaining({ code: 'failed_precondition' }),
    );
  });

  it('reads an owner’s totals from the primary key, without a scan', async () => {
    await new EmbeddedUsageLedger({ path }).close();
    const db = new Database(path, { readonly: true });
    try {
      const plan = db
        .prepare<unknown[], { detail: string }>(
          'EXPLAIN QUERY PLAN SELECT SUM(input_tokens) FROM usage WHERE client_id = ? AND user_id = ? AND day BETWEEN ? AND ?',
        )
        .all('a', 'b', 'c', 'd')
        .map((row) => row.detail);
      expect(plan).toEqual([expect.stringMatching(/^SEARCH usage USING PRIMARY KEY/)]);
    } finally {
      db.close();
    }
  });
});
