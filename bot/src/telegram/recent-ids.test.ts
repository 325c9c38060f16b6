import { describe, expect, it } from 'vitest';
import { RecentIds } from './recent-ids.ts';

describe('RecentIds', () => {
  it('reports a repeated id and forgets the oldest beyond its capacity', () => {
    const ids = new RecentIds(2);
    expect([ids.add(1), ids.add(1), ids.add(2), ids.add(3), ids.add(1)]).toEqual([
      true,
      false,
      true,
      true,
      true,
    ]);
  });
});
