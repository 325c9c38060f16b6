import { describe, expect, it, vi } from 'vitest';
import { abortAfter, linkSignals } from './abort.ts';

describe('linkSignals', () => {
  it('aborts with the reason of the first source that aborts', () => {
    const a = new AbortController();
    const b = new AbortController();
    const linked = linkSignals([a.signal, b.signal]);
    b.abort(new Error('deadline'));
    expect(linked.signal.aborted).toBe(true);
    expect((linked.signal.reason as Error).message).toBe('deadline');
    a.abort(new Error('later'));
    expect((linked.signal.reason as Error).message).toBe('deadline');
  });

  it('starts aborted when a source already is', () => {
    const linked = linkSignals([AbortSignal.abort('gone'), new AbortController().signal]);
    expect(linked.signal.aborted).toBe(true);
    expect(linked.signal.reason).toBe('gone');
  });

  it('no longer follows the sources once released', () => {
    const shutdown = new AbortController();
    const linked = linkSignals([shutdown.signal]);
    linked.release();
    shutdown.abort();
    expect(linked.signal.aborted).toBe(false);
  });
});

describe('abortAfter', () => {
  it('aborts after its time with the reason given, or the default AbortError', () => {
    vi.useFakeTimers();
    try {
      const timed = abortAfter(100, { reason: () => new DOMException('too long', 'TimeoutError') });
      const plain = abortAfter(100);
      vi.advanceTimersByTime(99);
      expect(timed.signal.aborted).toBe(false);
      vi.advanceTimersByTime(1);
      expect((timed.signal.reason as DOMException).name).toBe('TimeoutError');
      expect((plain.signal.reason as DOMException).name).toBe('AbortError');
      expect(timed.expired).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });

  it('never aborts once cleared', () => {
    vi.useFakeTimers();
    try {
      const deadline = abortAfter(100);
      deadline.clear();
      vi.advanceTimersByTime(1_000);
      expect(deadline.signal.aborted).toBe(false);
      expect(deadline.expired).toBe(false);
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it("aborts the caller's controller, and has not expired when something else aborted it first", () => {
    vi.useFakeTimers();
    try {
      const own = new AbortController();
      const deadline = abortAfter(100, { controller: own, reason: () => new Error('too long') });
      expect(deadline.signal).toBe(own.signal);
      vi.advanceTimersByTime(100);
      expect((own.signal.reason as Error).message).toBe('too long');
      expect(deadline.expired).toBe(true);

      const left = new AbortController();
      const unused = abortAfter(100, { controller: left, reason: () => new Error('too long') });
      left.abort(new Error('every client left'));
      vi.advanceTimersByTime(100);
      expect((left.signal.reason as Error).message).toBe('every client left');
      expect(unused.expired).toBe(false);
    } finally {
      vi.useRealTimers();
    }
  });
});
