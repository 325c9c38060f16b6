import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EmbeddedIdentityStore } from './embedded-identity-store.ts';
import { describeIdentityStore } from './identity-store.contract.ts';

describe('EmbeddedIdentityStore', () => {
  describeIdentityStore('contract', async () => ({ store: new EmbeddedIdentityStore({ path: ':memory:' }) }));

  // Two stores on one file stand for two server processes sharing it (WORKERS > 1): each keeps the
  // answers a turn asks for, and must see what the other changed at once.
  describe('shared by several processes', () => {
    let dir: string;
    let ours: EmbeddedIdentityStore;
    let theirs: EmbeddedIdentityStore;
    const ann = { clientId: 'cli', userId: 'ann' };
    const tg = { clientId: 'telegram', userId: '42' };

    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'parley-people-'));
      ours = new EmbeddedIdentityStore({ path: join(dir, 'people.db') });
      theirs = new EmbeddedIdentityStore({ path: join(dir, 'people.db') });
    });
    afterEach(async () => {
      await Promise.all([ours.close(), theirs.close()]);
      await rm(dir, { recursive: true, force: true });
    });

    it("sees another process's link and unlink on the next lookup", async () => {
      expect(await ours.personOf(ann)).toBeNull();
      await theirs.join('p1', [ann, tg], new Date(1_000));
      expect((await ours.personOf(ann))?.identities.map((i) => i.userId)).toEqual(['ann', '42']);
      await theirs.leave(tg);
      expect((await ours.personOf(ann))?.identities.map((i) => i.userId)).toEqual(['ann']);
    });

    it("sees another process's language choice, and its own at once", async () => {
      expect(await ours.language([ann])).toBe('');
      await theirs.setLanguage(ann, 'ru', new Date(1_000));
      expect(await ours.language([ann])).toBe('ru');
      await ours.setLanguage(ann, 'en', new Date(2_000));
      expect(await ours.language([ann])).toBe('en');
      expect(await theirs.language([ann])).toBe('en');
    });

    it('hands out records a caller may change without changing what others get', async () => {
      await ours.join('p1', [ann, tg], new Date(1_000));
      const first = await ours.personOf(ann);
      first?.identities.pop();
      expect((await ours.personOf(ann))?.identities).toHaveLength(2);
    });
  });
});
