import { describe, expect, it } from 'vitest';
import { createAccessPolicy } from './access-control.ts';

describe('createAccessPolicy', () => {
  it('lets everyone in when nobody is listed', () => {
    const allowed = createAccessPolicy({ ids: [], usernames: [] });
    expect(allowed({ id: 1 })).toBe(true);
    expect(allowed({ id: 2, username: 'anyone' })).toBe(true);
  });

  it('lets in listed ids and usernames, ignoring the case of usernames', () => {
    const allowed = createAccessPolicy({ ids: ['42'], usernames: ['alice'] });
    expect(allowed({ id: 42 })).toBe(true);
    expect(allowed({ id: 7, username: 'Alice' })).toBe(true);
    expect(allowed({ id: 7, username: 'mallory' })).toBe(false);
    expect(allowed({ id: 7 })).toBe(false);
  });

  it('does not match a username against an id', () => {
    const allowed = createAccessPolicy({ ids: ['42'], usernames: [] });
    expect(allowed({ id: 1, username: '42' })).toBe(false);
  });
});
