import { createLogger } from '@parley/logger';
import { describe, expect, it } from 'vitest';
import { MemoryCache } from '../cache/memory-cache.ts';
import { ProviderError } from './provider-http.ts';
import { type CacheResult, ResilientSource } from './resilient-source.ts';

const logger = createLogger({ name: 'test', level: 'silent', pretty: false });

describe('ResilientSource cache reporting', () => {
  it('reports a miss, then a hit within the TTL, then stale when the provider fails after it', async () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const clock = () => new Date(now);
    const results: CacheResult[] = [];
    const source = new ResilientSource<string>({
      name: 'probe',
      cache: new MemoryCache({ clock }),
      ttlSeconds: 60,
      clock,
      logger,
      retries: 0,
      onCacheResult: (result) => results.push(result),
    });
    const up = async () => 'value';
    const down = async (): Promise<string> => {
      throw new ProviderError('probe', 'unavailable', { status: 503 });
    };
    expect(await source.get('q', up)).toMatchObject({ source: 'fresh' });
    expect(await source.get('q', down)).toMatchObject({ source: 'cached' });
    now += 61_000;
    expect(await source.get('q', down)).toMatchObject({ source: 'stale' });
    expect(await source.get('other', down)).toMatchObject({ source: 'unavailable' });
    expect(results).toEqual(['miss', 'hit', 'stale', 'miss']);
  });
});
