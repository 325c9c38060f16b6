import { getHeapStatistics } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { compactWhenIdle } from './idle-heap.ts';

/** Short-lived garbage that grows the young generation, as traffic does. */
function work(): void {
  let keep: unknown[] = [];
  for (let i = 0; i < 200_000; i += 1) keep = [{ i, text: `garbage ${i}` }, keep.length];
}

describe('compactWhenIdle', () => {
  it('collects soon after start-up once the event loop is quiet, shrinking the heap, and after a longer quiet following more work', async () => {
    work();
    const grown = getHeapStatistics().total_heap_size;
    const compactions: number[] = [];
    const idle = compactWhenIdle({ checkMs: 200, onCompact: (ms) => compactions.push(ms) });
    try {
      await expect.poll(() => compactions.length, { timeout: 20_000, interval: 100 }).toBe(1);
      expect(getHeapStatistics().total_heap_size).toBeLessThan(grown);
      work();
      await expect.poll(() => compactions.length, { timeout: 20_000, interval: 100 }).toBe(2);
    } finally {
      idle.stop();
    }
  });
});
