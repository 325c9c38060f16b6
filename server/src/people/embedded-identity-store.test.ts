import { describe } from 'vitest';
import { EmbeddedIdentityStore } from './embedded-identity-store.ts';
import { describeIdentityStore } from './identity-store.contract.ts';

describe('EmbeddedIdentityStore', () => {
  describeIdentityStore('contract', async () => ({ store: new EmbeddedIdentityStore({ path: ':memory:' }) }));
});
