import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FlushClock } from './flush-clock.ts';

describe('FlushClock', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('flushes every stream that asked once, within one window, in batches with I/O between them', async () => {
    const clock = new FlushClock(50);
    const flushed: number[] = [];
    const streams = Array.from({ length: 130 }, (_, i) => ({ flush: () => flushed.push(i) }));
    for (const stream of streams) clock.schedule(stream);
    clock.schedule(streams[0] ?? { flush() {} });
    await vi.advanceTimersByTimeAsync(49);
    expect(flushed).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(flushed).toHaveLength(64);
    await vi.runAllTimersAsync();
    expect(flushed).toEqual(streams.map((_, i) => i));
  });

  it('forgets a cancelled stream', async () => {
    const clock = new FlushClock(50);
    const flush = vi.fn();
    const stream = { flush };
    clock.schedule(stream);
    clock.cancel(stream);
    await vi.runAllTimersAsync();
    expect(flush).not.toHaveBeenCalled();
  });
});
