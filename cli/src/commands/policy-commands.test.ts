import { type AdminClient, RpcError, Timestamp, UsageGrouping } from '@parley/rpc';
import { FakeAdminClient, FakeChatClient, FakeUsageClient } from '@parley/rpc/testing';
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../io/exit-codes.ts';
import { formatTime } from '../io/output.ts';
import { run } from '../program.ts';
import { factoryFor, testIo } from '../testing/test-io.ts';

async function parley(argv: string[], clients: { usage?: FakeUsageClient; admin?: FakeAdminClient } = {}) {
  const t = testIo();
  const usage = clients.usage ?? new FakeUsageClient();
  const admin = clients.admin ?? new FakeAdminClient();
  const code = await run(argv, t.io, {
    createClient: factoryFor(new FakeChatClient()),
    createUsageClient: () => usage,
    createAdminClient: () => admin,
  });
  return { code, stdout: t.stdout.text, stderr: t.stderr.text, usage, admin };
}

const resetsAt = Timestamp.fromDate(new Date('2026-05-02T00:00:00Z'));

describe('parley usage', () => {
  it('shows the day and month with what is left, and the models, for the CLI user', async () => {
    const usage = new FakeUsageClient({
      daily: {
        firstDay: '2026-05-01',
        lastDay: '2026-05-01',
        used: { inputTokens: '1000', outputTokens: '234', costMicros: '0', turns: '3' },
        limit: { tokens: '200000' },
        remaining: { tokens: '198766' },
        resetsAt,
      },
      currency: 'USD',
      defaultModel: 'gpt-4o-mini',
      allowedModels: ['gpt-4o-mini', 'gpt-4o'],
    });
    const { code, stdout, usage: client } = await parley(['usage'], { usage });
    expect(code).toBe(ExitCode.ok);
    expect(client.calls).toEqual([{ method: 'getUsage', request: { userId: 'tester' } }]);
    const lines = stdout.split('\n');
    expect(lines[0]).toMatch(/^PERIOD +DAYS +TURNS +TOKENS +LIMIT +LEFT +RESETS$/);
    expect(lines[1]).toMatch(
      new RegExp(`^today +2026-05-01 +3 +1,234 +200,000 +198,766 +${formatTime(resetsAt)}$`),
    );
    expect(lines[2]).toMatch(/^month +- +0 +0 +unlimited +- +-$/);
    expect(stdout).toContain('models: gpt-4o-mini (default), gpt-4o');
    expect(stdout).not.toContain('COST');
  });

  it('adds the money columns when priced, and says when the user is blocked', async () => {
    const period = {
      firstDay: '2026-05-01',
      lastDay: '2026-05-31',
      used: { inputTokens: '10', outputTokens: '5', costMicros: '1500000', turns: '1' },
      limit: { costMicros: '20000000' },
      remaining: { costMicros: '18500000' },
    };
    const usage = new FakeUsageClient({ monthly: period, currency: 'EUR', blocked: true, anyModel: true });
    const { stdout } = await parley(['usage'], { usage });
    expect(stdout).toMatch(/COST +COST LIMIT +COST LEFT/);
    expect(stdout).toMatch(/month +2026-05-01\.\.2026-05-31 .* 1\.50 EUR +20\.00 EUR +18\.50 EUR/);
    expect(stdout).toContain('models: any (default gpt-4o-mini)');
    expect(stdout).toContain('blocked: yes');
  });

  it('prints proto JSON with --json', async () => {
    const { stdout } = await parley(['usage', '--json']);
    expect(JSON.parse(stdout)).toMatchObject({ defaultModel: 'gpt-4o-mini', allowedModels: ['gpt-4o-mini'] });
  });

  it('says when the budget is used up and when it resets', async () => {
    const usage = new FakeUsageClient(async () => {
      throw new RpcError('daily token budget used up', 'resource_exhausted', {
        budget: 'daily_tokens',
        resets_at: '2026-05-02T00:00:00.000Z',
      });
    });
    const { code, stderr } = await parley(['usage'], { usage });
    expect(code).toBe(ExitCode.failure);
    expect(stderr).toBe('parley: the daily token budget is used up; it resets at 2026-05-02T00:00Z\n');
  });
});

describe('parley admin', () => {
  it('reports usage by model over a range', async () => {
    const admin = new FakeAdminClient({
      getUsageReport: async () => ({
        rows: [
          {
            clientId: '',
            userId: '',
            model: 'gpt-4o-mini',
            day: '',
            totals: { inputTokens: '12000', outputTokens: '3000', costMicros: '3600', turns: '40' },
          },
        ],
        currency: 'USD',
      }),
    });
    const { code, stdout } = await parley(
      ['admin', 'usage', '--since', '2026-04-01', '--until', '2026-04-30', '--by', 'model'],
      { admin },
    );
    expect(code).toBe(ExitCode.ok);
    expect(admin.calls[0]).toEqual({
      method: 'getUsageReport',
      request: { firstDay: '2026-04-01', lastDay: '2026-04-30', groupBy: UsageGrouping.MODEL },
    });
    expect(stdout.split('\n').slice(0, 2)).toEqual([
      'MODEL        TURNS  INPUT   OUTPUT  COST',
      'gpt-4o-mini  40     12,000  3,000   0.0036 USD',
    ]);
  });

  it('lists the top users by client and user', async () => {
    const totals = { inputTokens: '5', outputTokens: '5', costMicros: '0', turns: '1' };
    const admin = new FakeAdminClient({
      listTopUsers: async () => ({
        users: [{ clientId: 'bot', userId: '42', model: '', day: '', totals }],
        currency: 'USD',
      }),
    });
    const { stdout } = await parley(['admin', 'top', '--limit', '5'], { admin });
    expect(admin.calls[0]?.request).toEqual({ limit: 5 });
    expect(stdout).toMatch(/^CLIENT +USER +TURNS/);
    expect(stdout).toMatch(/\nbot +42 +1 +5 +5 +0\.00 USD\n/);
  });

  it('blocks, unblocks and lists blocked users', async () => {
    const admin = new FakeAdminClient({
      listBlockedUsers: async () => ({
        users: [{ clientId: 'bot', userId: '42', reason: 'abuse', blockedBy: 'ops', blockedAt: resetsAt }],
      }),
    });
    expect((await parley(['admin', 'block', 'bot', '42', '--reason', 'abuse'], { admin })).stdout).toBe(
      'blocked 42 of bot: their turns are refused until unblocked\n',
    );
    expect((await parley(['admin', 'unblock', 'bot', '42'], { admin })).stdout).toBe('unblocked 42 of bot\n');
    const listed = await parley(['admin', 'blocked'], { admin });
    expect(listed.stdout).toMatch(/^CLIENT +USER +BLOCKED AT +BY +REASON\nbot +42 +.+ +ops +abuse\n$/);
    expect(admin.calls.map((c) => c.method)).toEqual(['blockUser', 'unblockUser', 'listBlockedUsers']);
    expect(admin.calls[0]?.request).toEqual({ clientId: 'bot', userId: '42', reason: 'abuse' });
  });

  it('sets a budget per period, lifts a limit with none, and clears it', async () => {
    const admin = new FakeAdminClient();
    const set = await parley(
      [
        'admin',
        'budget',
        'bot',
        '42',
        '--daily-tokens',
        '50000',
        '--monthly-cost',
        '2.5',
        '--daily-cost',
        'none',
      ],
      { admin },
    );
    expect(set.code).toBe(ExitCode.ok);
    expect(admin.calls[0]?.request).toEqual({
      clientId: 'bot',
      userId: '42',
      daily: { tokens: '50000' },
      monthly: { costMicros: '2500000' },
    });
    await parley(['admin', 'budget', 'bot', '42', '--clear'], { admin });
    expect(admin.calls[1]?.request).toEqual({ clientId: 'bot', userId: '42', clear: true });
  });

  it.each([
    ['a day that is not YYYY-MM-DD', ['admin', 'usage', '--since', '1 April']],
    ['an unknown grouping', ['admin', 'usage', '--by', 'planet']],
    ['a budget without limits', ['admin', 'budget', 'bot', '42']],
    ['--clear with limits', ['admin', 'budget', 'bot', '42', '--clear', '--daily-tokens', '5']],
    ['a negative token limit', ['admin', 'budget', 'bot', '42', '--daily-tokens', '-5']],
    ['a block without a user', ['admin', 'block', 'bot']],
  ])('exits 2 on %s without calling the server', async (_name, argv) => {
    const { code, stderr, admin } = await parley(argv);
    expect(code).toBe(ExitCode.usage);
    expect(stderr).toMatch(/^parley: /);
    expect(admin.calls).toEqual([]);
  });

  it('exits 1 with a clear line when the key is not an admin’s', async () => {
    const denied: AdminClient['getUsageReport'] = async () => {
      throw new RpcError('admin role required', 'permission_denied');
    };
    const { code, stderr } = await parley(['admin', 'usage'], {
      admin: new FakeAdminClient({ getUsageReport: denied }),
    });
    expect(code).toBe(ExitCode.failure);
    expect(stderr).toBe(
      'parley: this API key may not use admin commands (its client needs the admin role: ADMIN_CLIENTS or role: admin in POLICY_FILE)\n',
    );
  });
});
