import { describe, expect, it } from 'vitest';
import { cacheKey } from './cache.ts';
import { MemoryCache } from './memory-cache.ts';

function fakeClock(start = Date.parse('2026-01-15T12:00:00Z')) {
  let now = start;
  return { clock: () => new Date(now), advance: (ms: number) => (now += ms), start };
}

describe('MemoryCache', () => {
  it('returns the value and when it was stored within the TTL', async () => {
    const time = fakeClock();
    const cache = new MemoryCache({ clock: time.clock });
    await cache.set('k', 'v', 60);
    time.advance(59_000);
    expect(await cache.get('k')).toEqual({ value: 'v', storedAt: time.start });
  });

  it('forgets a value once its TTL has passed', async () => {
    const time = fakeClock();
    const cache = new MemoryCache({ clock: time.clock });
    await cache.set('k', 'v', 60);
    time.advance(60_000);
    expect(await cache.get('k')).toBeNull();
    expect(cache.size).toBe(0);
  });

  it('restarts the TTL when a key is written again', async () => {
    const time = fakeClock();
    const cache = new MemoryCache({ clock: time.clock });
    await cache.set('k', 'old', 60);
    time.advance(50_000);
    await cache.set('k', 'new', 60);
    time.advance(50_000);
    expect(await cache.get('k')).toMatchObject({ value: 'new' });
  });

  it('evicts the least recently used entry beyond its bound', async () => {
    const cache = new MemoryCache({ maxEntries: 2 });
    await cache.set('a', '1', 60);
    await cache.set('b', '2', 60);
    await cache.get('a');
    await cache.set('c', '3', 60);
    expect(cache.size).toBe(2);
    expect(await cache.get('b')).toBeNull();
    expect(await cache.get('a')).toMatchObject({ value: '1' });
    expect(await cache.get('c')).toMatchObject({ value: '3' });
  });
});

describe('cacheKey', () => {
  it('is the namespace and the SHA-256 of the query', () => {
    expect(cacheKey('weather', 'paris|days=0')).toMatch(/^weather:[0-9a-f]{64}$/);
    expect(cacheKey('weather', 'paris|days=0')).not.toBe(cacheKey('weather', 'paris|days=1'));
  });
});
