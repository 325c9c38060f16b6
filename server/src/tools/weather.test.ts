import { Writable } from 'node:stream';
import { createLogger } from '@parley/logger';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type FakeWeatherApi, startFakeWeatherApi } from '../../../tests/support/fake-weather-api.ts';
import { MemoryCache } from '../cache/memory-cache.ts';
import type { BreakerState } from '../providers/resilience.ts';
import { WeatherClient, type WeatherClientOptions } from '../weather/weather-client.ts';
import { WeatherService, type WeatherServiceOptions } from '../weather/weather-service.ts';
import { fakeToolServices } from './fake-tool-services.ts';
import { ToolRegistry } from './registry.ts';
import { getWeather } from './weather.ts';

const KEY = 'wk-SECRET-4f1c9a';
let api: FakeWeatherApi;

beforeAll(async () => {
  api = await startFakeWeatherApi({ apiKey: KEY });
});
afterEach(() => {
  api.reset();
  vi.useRealTimers();
});
afterAll(() => api.close());

/** A service against the fake API, seen through the tool as the model sees it; logs captured. */
function setup(
  options: { service?: Partial<WeatherServiceOptions>; client?: Partial<WeatherClientOptions> } = {},
) {
  const lines: string[] = [];
  const destination = new Writable({ write: (chunk, _, done) => done(void lines.push(String(chunk))) });
  const logger = createLogger({ name: 'test', level: 'debug', pretty: false, destination });
  // Date, not a private clock: cockatiel's breaker reads Date.now(), so one faked Date moves both.
  const clock = () => new Date();
  const states: BreakerState[] = [];
  const service = new WeatherService({
    client: new WeatherClient({ baseUrl: api.url, apiKey: KEY, timeoutMs: 2000, ...options.client }),
    cache: new MemoryCache({ clock }),
    clock,
    logger,
    retries: 0,
    backoff: { initialDelayMs: 1, maxDelayMs: 5 },
    breaker: { threshold: 3, halfOpenAfterMs: 10_000 },
    onBreakerStateChange: (state) => states.push(state),
    ...options.service,
  });
  const tools = new ToolRegistry([getWeather], {
    timeoutMs: 5000,
    services: fakeToolServices({ weather: service, logger }),
  });
  const ask = async (args: { location: string; days?: number }) => {
    const result = await tools.invoke('get_weather', JSON.stringify(args));
    return { ...result, data: result.content.startsWith('{') ? JSON.parse(result.content) : undefined };
  };
  return { service, ask, states, logs: () => lines.join('') };
}

function advance(ms: number): void {
  vi.setSystemTime(Date.now() + ms);
}

describe('WeatherService through get_weather', () => {
  it('answers fresh, then from the cache on repeat without calling the provider again', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { ask } = setup();
    const first = await ask({ location: 'Paris' });
    expect(first).toMatchObject({ isError: false, outcome: 'fresh' });
    expect(first.data).toMatchObject({
      provenance: 'fresh from the weather provider',
      location: { name: 'Paris' },
    });
    expect(first.data.current).toEqual(
      expect.objectContaining({ temperatureC: expect.any(Number), condition: expect.any(String) }),
    );

    advance(12 * 60_000);
    const second = await ask({ location: '  PARIS ' });
    expect(second).toMatchObject({ isError: false, outcome: 'cached' });
    expect(second.data).toEqual({ ...first.data, provenance: 'cached 12 min ago' });
    expect(api.requestCount).toBe(1);
  });

  it('asks for current conditions or a forecast of the requested days', async () => {
    const { ask } = setup();
    const forecast = await ask({ location: 'Berlin', days: 3 });
    expect(forecast.data.forecast).toHaveLength(3);
    expect(forecast.data.forecast[0]).toEqual({
      date: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
      maxTemperatureC: expect.any(Number),
      minTemperatureC: expect.any(Number),
      condition: expect.any(String),
      chanceOfRainPercent: expect.any(Number),
    });
    const current = await ask({ location: 'Berlin', days: 0 });
    expect(current.data.forecast).toEqual([]);

    const [first, second] = api.requests;
    expect(first?.path).toBe('/v1/forecast.json');
    expect(Object.fromEntries(first?.query ?? [])).toEqual({
      key: KEY,
      q: 'berlin',
      days: '3',
      aqi: 'no',
      alerts: 'no',
    });
    expect(second?.path).toBe('/v1/current.json');
  });

  it('says plainly when no location matches, and caches that answer', async () => {
    const { ask } = setup();
    const result = await ask({ location: 'Atlantis' });
    expect(result).toMatchObject({ isError: true, outcome: 'fresh' });
    expect(result.content).toContain('No location matches "Atlantis"');
    expect(await ask({ location: 'atlantis' })).toMatchObject({ outcome: 'cached' });
    expect(api.requestCount).toBe(1);
  });

  it('retries a transient failure once when configured to', async () => {
    const { ask } = setup({ service: { retries: 1 } });
    api.fail(503, 1);
    expect(await ask({ location: 'Oslo' })).toMatchObject({ outcome: 'fresh' });
    expect(api.requestCount).toBe(2);
  });

  it('opens the breaker after N failures and then answers unavailable at once, without the provider', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { ask, states } = setup();
    api.fail(503);
    for (let i = 0; i < 3; i++)
      expect(await ask({ location: 'Rome' })).toMatchObject({ outcome: 'unavailable' });
    expect(api.requestCount).toBe(3);
    expect(states).toEqual(['open']);

    // A provider this slow would hold the call for seconds; an open breaker never reaches it (the
    // request count below stays at 3).
    api.setLatency(5000);
    const result = await ask({ location: 'Rome' });
    expect(result).toMatchObject({ isError: true, outcome: 'unavailable' });
    expect(result.content).toBe(
      'unavailable: the weather service cannot be reached right now and nothing is cached; never invent weather data',
    );
    expect(api.requestCount).toBe(3);

    api.heal();
    api.setLatency(0);
    advance(10_001);
    expect(await ask({ location: 'Rome' })).toMatchObject({ outcome: 'fresh' });
    expect(states).toEqual(['open', 'half_open', 'closed']);
  });

  it('serves stale data, marked stale with its age, while the provider is down', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { ask } = setup();
    const fresh = await ask({ location: 'Lisbon', days: 2 });
    advance(3 * 3_600_000);
    api.fail(500);
    const stale = await ask({ location: 'Lisbon', days: 2 });
    expect(stale).toMatchObject({ isError: false, outcome: 'stale' });
    expect(stale.data).toEqual({
      ...fresh.data,
      provenance: 'STALE: the weather provider is unavailable; this data is from 3 h ago',
    });
  });

  it('gives up on a slow provider after the attempt timeout', async () => {
    const { ask, logs } = setup({ service: { attemptTimeoutMs: 100 } });
    api.setLatency(1000);
    expect(await ask({ location: 'Madrid' })).toMatchObject({ outcome: 'unavailable' });
    expect(logs()).toContain('"kind":"timeout"');
  });

  it('refuses an oversized response, declared or streamed', async () => {
    const { ask, logs } = setup({ client: { maxBytes: 64 * 1024 } });
    const body = { padding: 'x'.repeat(100 * 1024) };
    // One planned reply per ask, set just before it: a straggler from an earlier test (a retry its client
    // gave up on, arriving late on a loaded machine) may take a reply planned long in advance.
    api.override({ status: 200, body }, 2);
    expect(await ask({ location: 'Vienna' })).toMatchObject({ outcome: 'unavailable' });
    api.heal();
    api.override({ status: 200, body, headers: { 'transfer-encoding': 'chunked' } }, 2);
    expect(await ask({ location: 'Vienna' })).toMatchObject({ outcome: 'unavailable' });
    expect(logs().match(/"kind":"too_large"/g)).toHaveLength(2);
  });

  it('keeps the API key out of every answer, error and log line', async () => {
    const wrongKey = setup({ client: { apiKey: `${KEY}-revoked` } });
    const rejected = await wrongKey.ask({ location: 'Prague' });
    expect(rejected).toMatchObject({ outcome: 'unavailable' });
    expect(wrongKey.logs()).toMatch(/"kind":"auth","status":401,"providerCode":2006/);

    const unreachable = setup({ client: { baseUrl: 'http://127.0.0.1:1' } });
    await unreachable.ask({ location: 'Prague' });
    expect(unreachable.logs()).toContain('"kind":"unreachable"');

    const slow = setup({ client: { timeoutMs: 50 } });
    api.setLatency(500);
    await slow.ask({ location: 'Prague' });
    const direct = await new WeatherClient({ baseUrl: api.url, apiKey: KEY, timeoutMs: 50 })
      .fetch('Prague', 0)
      .catch((err: unknown) => err);
    expect(direct).toMatchObject({ name: 'ProviderError', kind: 'timeout' });

    const everything = [
      wrongKey.logs(),
      unreachable.logs(),
      slow.logs(),
      rejected.content,
      String(direct),
    ].join('\n');
    expect(everything).not.toContain(KEY);
    expect(everything).not.toContain('key=');
  });
});
