import { expect, it } from 'vitest';
import { nextMillisecond, type StoreContractContext } from './store-contract-context.ts';

/** Contract cases for the transcript fingerprints by which OpenAI-compatible clients' conversations are found. */
export function defineFingerprintCases(t: StoreContractContext): void {
  it('finds the owner’s newest conversation by its transcript fingerprint, and nobody else’s', async () => {
    const owner = t.owner();
    const older = await t.create();
    const newer = await t.create();
    const unrelated = await t.create();
    expect(await t.store().advanceTranscript(older.id, '', 'fp-1')).toBe(true);
    await nextMillisecond();
    expect(await t.store().advanceTranscript(newer.id, '', 'fp-1')).toBe(true);
    await t.store().append(newer.id, { role: 'user', content: 'Hi' });
    expect((await t.store().findByTranscript(owner, 'fp-1'))?.id).toBe(newer.id);
    expect(await t.store().findByTranscript(owner, 'fp-2')).toBeNull();
    // A conversation without a fingerprint is never found by the empty one.
    expect(await t.store().findByTranscript(owner, '')).toBeNull();
    expect(unrelated.id).not.toBe(newer.id);
    const stranger = { clientId: owner.clientId, userId: `${owner.userId}-other` };
    expect(await t.store().findByTranscript(stranger, 'fp-1')).toBeNull();
  });

  it('advances a transcript fingerprint only from the value it still has', async () => {
    const owner = t.owner();
    const created = await t.create();
    expect(await t.store().advanceTranscript(created.id, '', 'fp-a')).toBe(true);
    // A second writer holding the old value loses: the conversation has moved on.
    expect(await t.store().advanceTranscript(created.id, '', 'fp-b')).toBe(false);
    expect(await t.store().advanceTranscript(created.id, 'fp-a', 'fp-b')).toBe(true);
    expect(await t.store().findByTranscript(owner, 'fp-a')).toBeNull();
    expect((await t.store().findByTranscript(owner, 'fp-b'))?.id).toBe(created.id);
    expect(await t.store().advanceTranscript(await t.deletedId(), '', 'fp-c')).toBe(false);
  });
}
