import { createLogger } from '@parley/logger';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type FakeHolidaysApi, startFakeHolidaysApi } from '../../../tests/support/fake-holidays-api.ts';
import { MemoryCache } from '../cache/memory-cache.ts';
import { HolidayClient } from '../holidays/holiday-client.ts';
import { HolidayService } from '../holidays/holiday-service.ts';
import { fakeToolServices } from './fake-tool-services.ts';
import { getHolidays } from './holidays.ts';
import { ToolRegistry } from './registry.ts';

const logger = createLogger({ name: 'test', level: 'silent', pretty: false });
let api: FakeHolidaysApi;

beforeAll(async () => {
  api = await startFakeHolidaysApi();
});
afterEach(() => {
  api.reset();
  vi.useRealTimers();
});
afterAll(() => api.close());

/** The service against the fake API, seen through the tool; "today" is 15 June 2026. */
function setup() {
  vi.useFakeTimers({ toFake: ['Date'], now: new Date('2026-06-15T09:00:00Z') });
  const clock = () => new Date();
  const service = new HolidayService({
    client: new HolidayClient({ baseUrl: `${api.url}/`, timeoutMs: 2000 }),
    cache: new MemoryCache({ clock }),
    clock,
    logger,
    retries: 0,
    breaker: { threshold: 2, halfOpenAfterMs: 60_000 },
  });
  const tools = new ToolRegistry([getHolidays], {
    timeoutMs: 5000,
    services: fakeToolServices({ holidays: service, clock, logger }),
  });
  return async (args: Record<string, unknown>) => {
    const result = await tools.invoke('get_holidays', JSON.stringify(args));
    return { ...result, data: result.content.startsWith('{') ? JSON.parse(result.content) : undefined };
  };
}

describe('HolidayService through get_holidays', () => {
  it('lists the current year by default, fresh and then cached for 24 h', async () => {
    const ask = setup();
    const fresh = await ask({ country_code: 'de' });
    expect(fresh).toMatchObject({ isError: false, outcome: 'fresh' });
    expect(fresh.data).toMatchObject({
      provenance: 'fresh from the holidays provider',
      country: 'DE',
      year: 2026,
    });
    expect(fresh.data.holidays).toContainEqual({
      date: '2026-10-31',
      name: 'Reformation Day',
      localName: 'Reformationstag',
      nationwide: false,
      regions: ['DE-BB', 'DE-SN'],
      types: ['Public'],
    });
    expect(api.requests[0]?.path).toBe('/api/v3/PublicHolidays/2026/DE');

    vi.setSystemTime(Date.now() + 23 * 3_600_000);
    expect(await ask({ country_code: 'DE', year: 2026 })).toMatchObject({ outcome: 'cached' });
    vi.setSystemTime(Date.now() + 2 * 3_600_000);
    expect(await ask({ country_code: 'DE', year: 2026 })).toMatchObject({ outcome: 'fresh' });
    expect(api.requestCount).toBe(2);
  });

  it('lists only holidays from today on when asked', async () => {
    const ask = setup();
    const { data } = await ask({ country_code: 'US', upcoming_only: true });
    expect(data.holidays.map((h: { date: string }) => h.date)).toEqual(['2026-07-04', '2026-12-25']);
  });

  it('tells an unknown country from a country without holidays', async () => {
    const ask = setup();
    const unknown = await ask({ country_code: 'ZZ' });
    expect(unknown).toMatchObject({ isError: true });
    expect(unknown.content).toContain('"ZZ" is not a country the holiday calendar knows');
    expect((await ask({ country_code: 'AQ' })).data.holidays).toEqual([]);
  });

  it('rejects malformed codes and years far from now before any request', async () => {
    const ask = setup();
    const badCode = await ask({ country_code: 'DEU' });
    expect(badCode).toMatchObject({ outcome: 'invalid' });
    expect(badCode.content).toContain('country_code: must be a two-letter ISO 3166-1 country code');
    const farYear = await ask({ country_code: 'DE', year: 2040 });
    expect(farYear).toMatchObject({
      outcome: 'invalid',
      content: expect.stringContaining('between 2021–2031'),
    });
    expect(api.requestCount).toBe(0);
  });

  it('opens the breaker after N failures, then serves stale data or says it is unavailable', async () => {
    const ask = setup();
    await ask({ country_code: 'DE', year: 2025 });
    vi.setSystemTime(Date.now() + 2 * 86_400_000);
    api.fail(502);
    const stale = await ask({ country_code: 'DE', year: 2025 });
    expect(stale).toMatchObject({ outcome: 'stale', isError: false });
    expect(stale.data.provenance).toBe(
      'STALE: the holidays provider is unavailable; this data is from 2 days ago',
    );
    expect(await ask({ country_code: 'US' })).toMatchObject({ outcome: 'unavailable', isError: true });
    expect(api.requestCount).toBe(3);

    const open = await ask({ country_code: 'GB' });
    expect(open.content).toContain('unavailable: the holidays service cannot be reached');
    expect(api.requestCount).toBe(3);
  });
});
