import { describe, expect, it, vi } from 'vitest';
import { gate } from '../../../tests/support/gate.ts';
import { LocalLock } from './keyed-lock.ts';

describe('LocalLock', () => {
  it('runs callers of one key one at a time, in arrival order', async () => {
    const lock = new LocalLock();
    const events: string[] = [];
    const done = { a: gate(), b: gate(), c: gate() };
    const task = (name: 'a' | 'b' | 'c') =>
      lock.run('k', async () => {
        events.push(`start ${name}`);
        await done[name].opened;
        events.push(`end ${name}`);
        return name;
      });
    const results = Promise.all([task('a'), task('b'), task('c')]);
    // b and c may finish at once, but only after a, and in their order of arrival.
    done.c.open();
    done.b.open();
    await vi.waitFor(() => expect(events).toContain('start a'));
    expect(events).toEqual(['start a']);
    done.a.open();
    expect(await results).toEqual(['a', 'b', 'c']);
    expect(events).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
  });

  it('lets different keys run at the same time', async () => {
    const lock = new LocalLock();
    const release = gate();
    let running = 0;
    const all = Promise.all(
      ['x', 'y', 'z'].map((key) =>
        lock.run(key, async () => {
          running++;
          await release.opened;
        }),
      ),
    );
    // All three hold their keys together; one lock for all keys would never let a second one in.
    await vi.waitFor(() => expect(running).toBe(3));
    release.open();
    await all;
  });

  it('releases the key when the holder throws and forgets idle keys', async () => {
    const lock = new LocalLock();
    await expect(lock.run('k', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await lock.run('k', async () => 'next')).toBe('next');
    expect(lock.busyKeys).toBe(0);
  });
});
