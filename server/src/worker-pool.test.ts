import { describe, expect, it } from 'vitest';
import { restartDelayMs } from './worker-pool.ts';

// The pool itself runs as real processes in tests/integration/workers.test.ts.
describe('restartDelayMs', () => {
  it('doubles the pause for each crash in a row, up to the cap', () => {
    const delays = [0, 1, 2, 3, 4, 5, 6, 7, 100].map((n) => restartDelayMs(n, 500, 30_000));
    expect(delays).toEqual([500, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000]);
  });
});
