import { Identity, RpcError, Timestamp } from '@parley/rpc';
import { describe, expect, it } from 'vitest';
import { botHarness, command } from '../testing/bot-harness.ts';

const linked = [
  Identity.create({
    clientId: 'cli',
    userId: 'ann',
    linkedAt: Timestamp.fromDate(new Date('2026-12-06T12:00:00Z')),
  }),
  Identity.create({
    clientId: 'bot',
    userId: '7',
    caller: true,
    linkedAt: Timestamp.fromDate(new Date('2026-12-06T12:00:00Z')),
  }),
];

describe('/link', () => {
  it('shows a one-time code to redeem in the CLI, with how long it lasts', async () => {
    const expiresAt = Timestamp.fromDate(new Date(Date.now() + 10 * 60_000));
    const bot = botHarness({ identity: { createLinkCode: async () => ({ code: 'K7QM-2XPD', expiresAt }) } });
    await bot.send(command(1, '/link', { language: 'ru' }));
    const text = String(bot.messages()[0]?.text);
    expect(text).toContain('<code>K7QM-2XPD</code> (действует 10 минут)');
    expect(text).toContain('<code>parley link K7QM-2XPD</code>');
    expect(bot.identity.calls.at(-1)).toMatchObject({ method: 'createLinkCode', request: { userId: '7' } });
  });

  it('redeems a code shown in the CLI and names what it is now linked with', async () => {
    const bot = botHarness({ identity: { redeemLinkCode: async () => ({ identities: linked }) } });
    await bot.send(command(1, '/link k7qm-2xpd'));
    expect(bot.identity.calls.at(-1)).toMatchObject({ request: { userId: '7', code: 'k7qm-2xpd' } });
    expect(bot.messages()[0]?.text).toMatch(/^Linked\. This chat and <code>cli<\/code> are now one person/);
  });

  it('says plainly when a code is unknown, spent or expired, and when tries ran out', async () => {
    const failures = [
      new RpcError('link code not found', 'not_found'),
      new RpcError('too many', 'resource_exhausted', { retry_after: '120' }),
      new RpcError('same user', 'failed_precondition', { reason: 'same_identity' }),
    ];
    const bot = botHarness({
      identity: {
        redeemLinkCode: async () => {
          throw failures.shift();
        },
      },
    });
    for (const id of [1, 2, 3]) await bot.send(command(id, '/link ABCD-EFGH'));
    expect(bot.messages().map((m) => m.text)).toEqual([
      'That code is unknown, used or expired. Ask for a new one with <code>parley link</code> or /link.',
      'Too many tries. Please wait 2 minutes and ask for a new code.',
      'That is this chat’s own code: redeem it from the other app.',
    ]);
  });

  it('lists the links, marks this chat, and unlinks one by its number', async () => {
    const bot = botHarness({ identity: { listLinks: async () => ({ identities: linked }) } });
    await bot.send(command(1, '/links'));
    expect(String(bot.messages()[0]?.text).split('\n').slice(1, 3)).toEqual([
      '1. <code>cli</code> · ann · since Dec 6, 2026',
      '2. <code>bot</code> · 7 · since Dec 6, 2026 (this chat)',
    ]);
    await bot.send(command(2, '/unlink 1'));
    expect(bot.identity.calls.at(-1)).toMatchObject({
      method: 'unlink',
      request: { userId: '7', identity: { clientId: 'cli', userId: 'ann' } },
    });
    expect(bot.messages().at(-1)?.text).toBe('Unlinked. Each keeps its own conversations again.');
  });

  it('refuses in a group: a group’s conversations are the group’s', async () => {
    const bot = botHarness();
    await bot.send(command(1, '/link', { group: true }));
    expect(bot.messages()[0]?.text).toBe('Linking works in a private chat with me, not in a group.');
    expect(bot.identity.calls.filter((c) => c.method !== 'getPreferences')).toEqual([]);
  });
});
