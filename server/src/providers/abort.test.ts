import { describe, expect, it } from 'vitest';
import { linkSignals } from './abort.ts';

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
