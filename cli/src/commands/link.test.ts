import { Identity, type IdentityClient, RpcError, Timestamp } from '@parley/rpc';
import { FakeAdminClient, FakeChatClient, FakeIdentityClient } from '@parley/rpc/testing';
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../io/exit-codes.ts';
import { run } from '../program.ts';
import { factoryFor, testIo } from '../testing/test-io.ts';

async function parley(
  argv: string[],
  overrides: Partial<IdentityClient> = {},
  admin = new FakeAdminClient(),
) {
  const t = testIo();
  const identity = new FakeIdentityClient(overrides);
  const code = await run(argv, t.io, {
    createClient: factoryFor(new FakeChatClient()),
    createIdentityClient: () => identity,
    createAdminClient: () => admin,
  });
  return { code, stdout: t.stdout.text, stderr: t.stderr.text, identity, admin };
}

const linkedAt = Timestamp.fromDate(new Date('2026-12-06T12:00:00Z'));
const person = [
  Identity.create({ clientId: 'bot', userId: '42', linkedAt }),
  Identity.create({ clientId: 'cli', userId: 'tester', linkedAt, caller: true }),
];

describe('parley link', () => {
  it('shows a one-time code for the CLI user to send the bot', async () => {
    const expiresAt = Timestamp.fromDate(new Date(Date.now() + 10 * 60_000));
    const { code, stdout, identity } = await parley(['link'], {
      createLinkCode: async () => ({ code: 'K7QM-2XPD', expiresAt }),
    });
    expect(code).toBe(ExitCode.ok);
    expect(identity.calls).toEqual([{ method: 'createLinkCode', request: { userId: 'tester' } }]);
    expect(stdout).toContain('link code: K7QM-2XPD (valid for 10 minutes, once)');
    expect(stdout).toContain('/link K7QM-2XPD');
  });

  it('redeems a code Telegram showed and names what it is linked with', async () => {
    const { code, stdout, identity } = await parley(['link', 'k7qm-2xpd'], {
      redeemLinkCode: async () => ({ identities: person }),
    });
    expect(code).toBe(ExitCode.ok);
    expect(identity.calls[0]?.request).toEqual({ userId: 'tester', code: 'k7qm-2xpd' });
    expect(stdout).toMatch(/^linked with bot:42: /);
  });

  it('says plainly when a code is unknown, used or expired', async () => {
    const { code, stderr } = await parley(['link', 'ABCD-EFGH'], {
      redeemLinkCode: async () => {
        throw new RpcError('link code not found', 'not_found');
      },
    });
    expect(code).toBe(ExitCode.failure);
    expect(stderr).toBe(
      'parley: that code is unknown, used or expired; ask for a new one (/link in Telegram)\n',
    );
  });
});

describe('parley links and unlink', () => {
  it('lists the identities numbered, and unlinks one by its number', async () => {
    const listed = await parley(['links'], { listLinks: async () => ({ identities: person }) });
    expect(listed.stdout.split('\n')[1]).toMatch(/^1 +bot +42 /);
    expect(listed.stdout).toContain('(you, here)');
    const { stdout, identity } = await parley(['unlink', '1'], {
      listLinks: async () => ({ identities: person }),
    });
    expect(identity.calls.at(-1)).toMatchObject({
      method: 'unlink',
      request: { userId: 'tester', identity: { clientId: 'bot', userId: '42' } },
    });
    expect(stdout).toBe('unlinked bot:42\n');
  });

  it('lets an admin list linked people and undo a link', async () => {
    const admin = new FakeAdminClient({
      listLinkedPeople: async () => ({ people: [{ personId: 'p1', identities: person }] }),
    });
    const { stdout } = await parley(['admin', 'links'], {}, admin);
    expect(stdout.split('\n')[0]).toMatch(/^person +client +user +linked$/);
    const undone = await parley(['admin', 'unlink', 'bot', '42'], {}, admin);
    expect(undone.stdout).toBe('unlinked bot:42\n');
    expect(admin.calls.at(-1)).toEqual({
      method: 'unlinkIdentity',
      request: { clientId: 'bot', userId: '42' },
    });
  });
});
