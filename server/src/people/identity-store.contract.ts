import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Identity } from './identity.ts';
import type { IdentityStore } from './identity-store.ts';

export interface IdentityStoreFixture {
  store: IdentityStore;
  cleanup?: () => Promise<void>;
}

const at = (minute: number) => new Date(Date.UTC(2026, 11, 6, 12, minute));
const pair = ({ clientId, userId }: Identity) => ({ clientId, userId });

/**
 * The behaviour every IdentityStore must have, as one vitest `describe`. Client names are unique per
 * test, so stores may share one database.
 */
export function describeIdentityStore(name: string, factory: () => Promise<IdentityStoreFixture>): void {
  describe(name, () => {
    let fixture: IdentityStoreFixture | undefined;
    let tg: Identity;
    let cli: Identity;
    let web: Identity;
    const store = (): IdentityStore => {
      if (!fixture) throw new Error('store factory has not run');
      return fixture.store;
    };
    const code = (issuer: Identity, minute = 0, hash: string = randomUUID()) => ({
      codeHash: hash,
      issuer,
      createdAt: at(minute),
      expiresAt: at(minute + 10),
    });

    beforeEach(async () => {
      fixture = await factory();
      const suffix = randomUUID();
      tg = { clientId: `telegram-${suffix}`, userId: '42' };
      cli = { clientId: `cli-${suffix}`, userId: 'ann' };
      web = { clientId: `web-${suffix}`, userId: 'ann@example.com' };
    });

    afterEach(async () => {
      const done = fixture;
      fixture = undefined;
      await done?.store.close();
      await done?.cleanup?.();
    });

    it('knows no person for an identity never linked, and every identity of a person once joined', async () => {
      expect(await store().personOf(tg)).toBeNull();
      await store().join('p1', [tg], at(0));
      await store().join('p1', [cli], at(1));
      const person = await store().personOf(cli);
      expect(person?.personId).toBe('p1');
      expect(person?.identities.map(pair)).toEqual([tg, cli]);
      expect(person?.identities[1]?.linkedAt).toEqual(at(1));
      expect((await store().personOf(tg))?.identities).toHaveLength(2);
    });

    it('gives a code to exactly one claim, and none once it is used or expired', async () => {
      const first = code(tg);
      expect(await store().saveCode(first)).toBe(true);
      const claims = await Promise.all(
        Array.from({ length: 8 }, () => store().claimCode(first.codeHash, cli, at(1))),
      );
      expect(claims.filter((c) => c !== null)).toEqual([tg]);
      expect(await store().claimCode(first.codeHash, web, at(2))).toBeNull();
      const late = code(tg, 20);
      await store().saveCode(late);
      expect(await store().claimCode(late.codeHash, cli, at(30))).toBeNull();
      expect(await store().claimCode('no-such-hash', cli, at(21))).toBeNull();
    });

    it('drops the issuer’s earlier unredeemed code when it saves a new one; refuses a live duplicate', async () => {
      const old = code(tg, 0);
      await store().saveCode(old);
      await store().saveCode(code(tg, 1));
      expect(await store().claimCode(old.codeHash, cli, at(2))).toBeNull();
      const live = code(cli, 3, 'same-hash');
      expect(await store().saveCode(live)).toBe(true);
      expect(await store().saveCode(code(web, 4, 'same-hash'))).toBe(false);
      expect(await store().claimCode('same-hash', tg, at(5))).toEqual(cli);
    });

    it('merges one person into another and takes an identity out again', async () => {
      await store().join('p1', [tg], at(0));
      await store().join('p1', [cli], at(1));
      await store().join('p2', [web], at(2));
      await store().merge('p2', 'p1');
      expect((await store().personOf(web))?.identities.map(pair)).toEqual([tg, cli, web]);
      expect(await store().leave(cli)).toBe(true);
      expect(await store().leave(cli)).toBe(false);
      expect(await store().personOf(cli)).toBeNull();
      expect((await store().personOf(tg))?.identities.map(pair)).toEqual([tg, web]);
    });

    it('lists linked people, of one client when asked, at most `limit`', async () => {
      const p1 = `a-${randomUUID()}`;
      const p2 = `b-${randomUUID()}`;
      await store().join(p1, [tg], at(0));
      await store().join(p1, [cli], at(1));
      await store().join(p2, [web, { clientId: tg.clientId, userId: '43' }], at(2));
      const ofTelegram = await store().people({ clientId: tg.clientId, limit: 10 });
      expect(ofTelegram.map((p) => p.personId)).toEqual([p1, p2]);
      expect(ofTelegram[0]?.identities.map(pair)).toEqual([tg, cli]);
      expect(await store().people({ clientId: cli.clientId, limit: 10 })).toHaveLength(1);
      expect(await store().people({ clientId: tg.clientId, limit: 1 })).toHaveLength(1);
    });

    it('keeps each identity’s language and answers the one chosen last among several', async () => {
      expect(await store().language([tg, cli])).toBe('');
      await store().setLanguage(tg, 'ru', at(0));
      await store().setLanguage(cli, 'en', at(5));
      expect(await store().language([tg])).toBe('ru');
      expect(await store().language([tg, cli])).toBe('en');
      await store().setLanguage(tg, 'ru', at(9));
      expect(await store().language([cli, tg])).toBe('ru');
      await store().join('p9', [tg], at(10));
      expect(await store().language([tg])).toBe('ru');
    });
  });
}
