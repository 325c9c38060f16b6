import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type PacedSendResult, Pacer } from './pacer.ts';

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

/** A pacer whose sends take `sendMs` and are recorded with their start time. */
function recorder(options: { intervalMs: number; firstDelayMs?: number; sendMs?: number }) {
  const sent: Array<{ value: string; at: number }> = [];
  const answers: Array<PacedSendResult | undefined> = [];
  const start = Date.now();
  const pacer = new Pacer<string>({
    ...options,
    send: async (value) => {
      sent.push({ value, at: Date.now() - start });
      if (options.sendMs) await new Promise((resolve) => setTimeout(resolve, options.sendMs));
      return answers.shift();
    },
  });
  return { pacer, sent, answers };
}

describe('Pacer', () => {
  it('sends the first value at once and then at most one per interval, the newest each time', async () => {
    const { pacer, sent } = recorder({ intervalMs: 500 });
    // A model writing every 50 ms for 2 s.
    for (let i = 1; i <= 40; i++) {
      pacer.push(`v${i}`);
      await vi.advanceTimersByTimeAsync(50);
    }
    await vi.advanceTimersByTimeAsync(1_000);
    expect(sent[0]).toEqual({ value: 'v1', at: 0 });
    expect(sent.length).toBeLessThanOrEqual(5);
    expect(sent.at(-1)?.value).toBe('v40');
    for (let i = 1; i < sent.length; i++) {
      expect((sent[i]?.at ?? 0) - (sent[i - 1]?.at ?? 0)).toBeGreaterThanOrEqual(500);
    }
  });

  it('counts the interval from the end of a slow send', async () => {
    const { pacer, sent } = recorder({ intervalMs: 1_500, sendMs: 400 });
    pacer.push('a');
    await vi.advanceTimersByTimeAsync(10);
    pacer.push('b');
    await vi.advanceTimersByTimeAsync(5_000);
    expect(sent).toEqual([
      { value: 'a', at: 0 },
      { value: 'b', at: 1_900 },
    ]);
  });

  it('waits out the first delay, and sends nothing when stopped before it ends', async () => {
    const { pacer, sent } = recorder({ intervalMs: 1_500, firstDelayMs: 1_000 });
    pacer.push('early');
    await vi.advanceTimersByTimeAsync(999);
    expect(sent).toEqual([]);
    await pacer.stop();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(sent).toEqual([]);
    expect(pacer.sends).toBe(0);
  });

  it('pauses for a 429’s retry_after, then sends the newest value', async () => {
    const { pacer, sent, answers } = recorder({ intervalMs: 500 });
    answers.push({ retryAfterMs: 3_000 });
    pacer.push('a');
    await vi.advanceTimersByTimeAsync(100);
    pacer.push('b');
    pacer.push('c');
    await vi.advanceTimersByTimeAsync(2_800);
    expect(sent.map((s) => s.value)).toEqual(['a']);
    await vi.advanceTimersByTimeAsync(200);
    expect(sent).toEqual([
      { value: 'a', at: 0 },
      { value: 'c', at: 3_000 },
    ]);
  });

  it('tells when the next call is allowed, and lets a send in flight finish on stop', async () => {
    const { pacer, sent } = recorder({ intervalMs: 1_500, sendMs: 300 });
    pacer.push('a');
    await vi.advanceTimersByTimeAsync(100);
    let stopped = false;
    void pacer.stop().then(() => (stopped = true));
    await vi.advanceTimersByTimeAsync(150);
    expect(stopped).toBe(false);
    await vi.advanceTimersByTimeAsync(100);
    expect(stopped).toBe(true);
    let ready = false;
    void pacer.ready().then(() => (ready = true));
    await vi.advanceTimersByTimeAsync(1_400);
    expect(ready).toBe(false);
    await vi.advanceTimersByTimeAsync(100);
    expect(ready).toBe(true);
    pacer.push('after stop');
    await vi.advanceTimersByTimeAsync(5_000);
    expect(sent.map((s) => s.value)).toEqual(['a']);
  });

  it('waits for a budget shared with others, keeping the newest value meanwhile', async () => {
    const sent: Array<{ value: string; at: number }> = [];
    const start = Date.now();
    const waits = [0, 2_000, 0];
    const pacer = new Pacer<string>({
      intervalMs: 500,
      acquire: () => waits.shift() ?? 0,
      send: async (value) => {
        sent.push({ value, at: Date.now() - start });
        return undefined;
      },
    });
    pacer.push('a');
    await vi.advanceTimersByTimeAsync(100);
    pacer.push('b');
    await vi.advanceTimersByTimeAsync(1_000);
    pacer.push('c');
    await vi.advanceTimersByTimeAsync(5_000);
    // 'b' was due at 500 ms; the budget said 2 s more, by when 'c' had replaced it.
    expect(sent).toEqual([
      { value: 'a', at: 0 },
      { value: 'c', at: 2_500 },
    ]);
  });

  it('keeps going after a send that throws', async () => {
    let calls = 0;
    const pacer = new Pacer<string>({
      intervalMs: 100,
      send: async () => {
        calls++;
        throw new Error('boom');
      },
    });
    pacer.push('a');
    await vi.advanceTimersByTimeAsync(10);
    pacer.push('b');
    await vi.advanceTimersByTimeAsync(200);
    expect(calls).toBe(2);
  });
});
