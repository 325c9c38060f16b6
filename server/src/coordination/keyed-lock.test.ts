import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { LocalLock } from './keyed-lock.ts';

describe('LocalLock', () => {
  it('runs callers of one key one at a time, in arrival order', async () => {
    const lock = new LocalLock();
    const events: string[] = [];
    const task = (name: string, ms: number) =>
      lock.run('k', async () => {
        events.push(`start ${name}`);
        await sleep(ms);
        events.push(`end ${name}`);
        return name;
      });
    const results = await Promise.all([task('a', 20), task('b', 1), task('c', 5)]);
    expect(results).toEqual(['a', 'b', 'c']);
    expect(events).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
  });

  it('lets different keys run at the same time', async () => {
    const lock = new LocalLock();
    let running = 0;
    let peak = 0;
    await Promise.all(
      ['x', 'y', 'z'].map((key) =>
        lock.run(key, async () => {
          running++;
          peak = Math.max(peak, running);
          await sleep(10);
          running--;
        }),
      ),
    );
    expect(peak).toBe(3);
  });

  it('releases the key when the holder throws and forgets idle keys', async () => {
    const lock = new LocalLock();
    await expect(lock.run('k', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await lock.run('k', async () => 'next')).toBe('next');
    expect(lock.busyKeys).toBe(0);
  });
});
