import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defineAttachmentCases } from './attachment-store.contract.ts';
import type { ConversationStore, Owner } from './conversation-store.ts';
import { storeContractContext } from './store-contract-context.ts';
import { defineConversationCases } from './store-conversations.contract.ts';
import { defineFingerprintCases } from './store-fingerprints.contract.ts';
import { defineListingCases } from './store-listing.contract.ts';
import { defineMessageCases } from './store-messages.contract.ts';

export interface ConversationStoreFixture {
  store: ConversationStore;
  cleanup?: () => Promise<void>;
}

/**
 * The behaviour every ConversationStore must have, registered as one vitest `describe` with a nested one
 * per feature. The factory gives a fresh store per test; owners are unique per test, so stores may share
 * one database. The store's clock must follow real time: some cases wait for the next millisecond to get
 * distinct `updatedAt` values.
 */
export function describeConversationStore(
  name: string,
  factory: () => Promise<ConversationStoreFixture>,
): void {
  describe(name, () => {
    let fixture: ConversationStoreFixture | undefined;
    let owner: Owner;

    /** The store under test; a getter so each test sees the one made for it. */
    const store = (): ConversationStore => {
      if (!fixture) throw new Error('store factory has not run');
      return fixture.store;
    };
    const context = storeContractContext(store, () => owner);

    beforeEach(async () => {
      fixture = await factory();
      owner = { clientId: `client-${randomUUID()}`, userId: `user-${randomUUID()}` };
    });

    afterEach(async () => {
      const done = fixture;
      fixture = undefined;
      await done?.store.close();
      await done?.cleanup?.();
    });

    describe('conversations', () => defineConversationCases(context));
    describe('messages', () => defineMessageCases(context));
    describe('listing', () => defineListingCases(context));
    describe('transcript fingerprints', () => defineFingerprintCases(context));
    describe('attachments', () => defineAttachmentCases(store, () => owner));

    it('answers a ping', async () => {
      await expect(store().ping()).resolves.toBeUndefined();
    });
  });
}
