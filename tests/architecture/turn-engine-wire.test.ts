import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// The turn engine speaks its own event and error types; Twirp and protobuf stay in the rpc/ adapters, so
// another front door (the OpenAI-compatible one) needs no wire types of ours.
const WIRE_PACKAGES = /from '(@parley\/rpc|twirp-ts|@protobuf-ts\/[^']+)'/;

describe('the turn engine', () => {
  it('imports no wire package', () => {
    const folder = 'server/src/turns';
    const offenders = readdirSync(folder)
      .filter((file) => file.endsWith('.ts'))
      .filter((file) => WIRE_PACKAGES.test(readFileSync(join(folder, file), 'utf8')));
    expect(offenders).toEqual([]);
  });
});
