import { describe, expect, it } from 'vitest';
import { EmbeddedIdentityStore } from './embedded-identity-store.ts';
import type { NewLinkCode } from './identity-store.ts';
import { normalizeLinkCode } from './link-code.ts';
import { People } from './people.ts';

const tg = { clientId: 'telegram', userId: '42' };
const cli = { clientId: 'cli', userId: 'ann' };
const web = { clientId: 'web', userId: 'ann@example.com' };
const pair = ({ clientId, userId }: { clientId: string; userId: string }) => ({ clientId, userId });

function setup(options: { maxIdentities?: number } = {}) {
  let now = new Date('2026-12-06T12:00:00Z');
  const saved: NewLinkCode[] = [];
  class RecordingStore extends EmbeddedIdentityStore {
    override saveCode(code: NewLinkCode): Promise<boolean> {
      saved.push(code);
      return super.saveCode(code);
    }
  }
  const store = new RecordingStore({ path: ':memory:' });
  const people = new People({ store, clock: () => now, ...options });
  return { people, saved, advance: (ms: number) => (now = new Date(now.getTime() + ms)) };
}

async function link(people: People, issuer: typeof tg, redeemer: typeof tg) {
  const { code } = await people.createCode(issuer);
  return people.redeem(redeemer, code);
}

describe('People: linking', () => {
  it('links two identities with a code: both resolve to the person, unlinked ones to themselves', async () => {
    const { people } = setup();
    expect(await people.resolve(tg)).toEqual({ ...tg, linked: [tg] });
    const { code, expiresAt } = await people.createCode(tg);
    expect(code).toMatch(/^[A-Z2-9]{4}-[A-Z2-9]{4}$/);
    expect(expiresAt.toISOString()).toBe('2026-12-06T12:10:00.000Z');
    const identities = await people.redeem(cli, code.toLowerCase().replace('-', ' '));
    // Linked at the same moment: in client order.
    expect(identities.map(pair)).toEqual([cli, tg]);
    expect((await people.resolve(tg)).linked).toEqual([cli, tg]);
    expect((await people.resolve(cli)).linked).toEqual([cli, tg]);
    expect(await people.resolve(web)).toEqual({ ...web, linked: [web] });
  });

  it('draws codes at random and stores only their hash', async () => {
    const { people, saved } = setup();
    const codes = new Set<string>();
    for (let i = 0; i < 50; i++) codes.add((await people.createCode({ clientId: 'c', userId: `${i}` })).code);
    expect(codes.size).toBe(50);
    const [first] = codes;
    expect(saved[0]?.codeHash).toMatch(/^[0-9a-f]{64}$/);
    expect(saved[0]?.codeHash).not.toContain(normalizeLinkCode(first ?? '') ?? '?');
  });

  it('refuses a code after its lifetime, the same as an unknown one', async () => {
    const { people, advance } = setup();
    const { code } = await people.createCode(tg);
    advance(10 * 60_000);
    await expect(people.redeem(cli, code)).rejects.toMatchObject({ code: 'not_found' });
    await expect(people.redeem(cli, 'ABCD-EFGH')).rejects.toMatchObject({ code: 'not_found' });
    expect(await people.links(cli)).toEqual([]);
  });

  it('lets a code be used once, even by two redeemers at the same moment', async () => {
    const { people } = setup();
    const { code } = await people.createCode(tg);
    const outcomes = await Promise.allSettled([people.redeem(cli, code), people.redeem(web, code)]);
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    expect(outcomes.filter((o) => o.status === 'rejected').map((o) => o.reason.code)).toEqual(['not_found']);
    await expect(people.redeem(web, code)).rejects.toMatchObject({ code: 'not_found' });
    expect(await people.links(tg)).toHaveLength(2);
  });

  it('stops an earlier code working when a new one is asked for', async () => {
    const { people } = setup();
    const first = await people.createCode(tg);
    await people.createCode(tg);
    await expect(people.redeem(cli, first.code)).rejects.toMatchObject({ code: 'not_found' });
  });

  it('refuses a code redeemed by the identity that asked for it, and one that is not a code', async () => {
    const { people } = setup();
    const { code } = await people.createCode(tg);
    await expect(people.redeem(tg, code)).rejects.toMatchObject({
      code: 'failed_precondition',
      meta: { reason: 'same_identity' },
    });
    await expect(people.redeem(cli, 'not a code at all')).rejects.toMatchObject({
      code: 'invalid_argument',
    });
  });

  it('joins people already linked into one, up to the most identities a person may have', async () => {
    const { people } = setup({ maxIdentities: 3 });
    await link(people, tg, cli);
    await link(people, web, cli);
    expect((await people.links(web)).map(pair)).toEqual([cli, tg, web]);
    const extra = { clientId: 'api', userId: 'ann' };
    await expect(link(people, extra, tg)).rejects.toMatchObject({ code: 'failed_precondition' });
    expect(await people.links(extra)).toEqual([]);
    expect(await link(people, tg, web)).toHaveLength(3);
  });
});

describe('People: unlinking and language', () => {
  it('unlinks an identity of the caller’s person; the last one left is alone again', async () => {
    const { people } = setup();
    await link(people, tg, cli);
    await link(people, web, tg);
    expect(await people.unlink(cli, web)).toBe(true);
    expect((await people.resolve(web)).linked).toEqual([web]);
    expect(await people.unlink(cli)).toBe(true);
    expect(await people.links(tg)).toEqual([]);
    expect(await people.unlink(tg)).toBe(false);
  });

  it('refuses to unlink an identity of someone else’s person (not_found, nothing changes)', async () => {
    const { people } = setup();
    await link(people, tg, cli);
    const stranger = { clientId: 'web', userId: 'eve' };
    await expect(people.unlink(stranger, tg)).rejects.toMatchObject({ code: 'not_found' });
    await link(people, stranger, web);
    await expect(people.unlink(web, tg)).rejects.toMatchObject({ code: 'not_found' });
    expect(await people.links(tg)).toHaveLength(2);
  });

  it('lets an admin undo any link', async () => {
    const { people } = setup();
    await link(people, tg, cli);
    expect(await people.undo(cli)).toBe(true);
    expect(await people.links(tg)).toEqual([]);
    expect(await people.undo(cli)).toBe(false);
  });

  it('keeps the language for the person: chosen on one client, read on another', async () => {
    const { people, advance } = setup();
    expect(await people.language(tg)).toBe('');
    await people.setLanguage(tg, 'ru');
    expect(await people.language(cli)).toBe('');
    await link(people, tg, cli);
    expect(await people.language(cli)).toBe('ru');
    advance(1000);
    await people.setLanguage(cli, 'en');
    expect(await people.language(tg)).toBe('en');
  });
});
