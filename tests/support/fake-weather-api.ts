import { createHash } from 'node:crypto';
import { type FakeApi, type FakeApiReply, type FakeApiRequest, startFakeApi } from './fake-api-server.ts';

/**
 * A WeatherAPI.com-compatible fake: `/v1/current.json` and `/v1/forecast.json` with the real JSON shapes
 * and error codes (1002 no key, 2006 bad key, 1003 no `q`, 1006 no matching location). Weather is made up
 * deterministically from the location name, so repeated answers agree.
 */
export interface FakeWeatherApi extends FakeApi {
  readonly apiKey: string;
}

export interface FakeWeatherApiOptions {
  apiKey?: string;
  /** Locations (lowercase) answered with 1006. Default: atlantis, nowhere. */
  unknownLocations?: string[];
  /** The fake's "today"; default the real clock. */
  clock?: () => Date;
}

const CONDITIONS = ['Sunny', 'Partly cloudy', 'Overcast', 'Light rain', 'Moderate rain', 'Light snow'];

export async function startFakeWeatherApi(options: FakeWeatherApiOptions = {}): Promise<FakeWeatherApi> {
  const apiKey = options.apiKey ?? 'fake-weather-key';
  const unknown = new Set(options.unknownLocations ?? ['atlantis', 'nowhere']);
  const clock = options.clock ?? (() => new Date());
  const api = await startFakeApi({
    answer: (request) => answer(request, { apiKey, unknown, clock }),
    errorBody: (status) =>
      status === 401
        ? weatherError(2006, 'API key is invalid.')
        : status === 403
          ? weatherError(2007, 'API key has exceeded calls per month quota.')
          : status === 400
            ? weatherError(9000, 'Json body passed in bulk request is invalid.')
            : weatherError(9999, 'Internal application error.'),
  });
  return Object.assign(api, { apiKey });
}

function answer(
  request: FakeApiRequest,
  settings: { apiKey: string; unknown: Set<string>; clock: () => Date },
): FakeApiReply {
  const key = request.query.get('key');
  if (!key) return { status: 401, body: weatherError(1002, 'API key is invalid or not provided.') };
  if (key !== settings.apiKey) return { status: 401, body: weatherError(2006, 'API key is invalid.') };
  if (request.path !== '/v1/current.json' && request.path !== '/v1/forecast.json') {
    return { status: 404, body: weatherError(1005, 'API request url is invalid.') };
  }
  const q = request.query.get('q')?.trim() ?? '';
  if (!q) return { status: 400, body: weatherError(1003, "Parameter 'q' not provided.") };
  if (settings.unknown.has(q.toLowerCase())) {
    return { status: 400, body: weatherError(1006, 'No matching location found.') };
  }
  const now = settings.clock();
  const seed = seedOf(q);
  const body: Record<string, unknown> = { location: locationOf(q, now), current: currentOf(seed, now) };
  if (request.path === '/v1/forecast.json') {
    const days = Math.min(14, Math.max(1, Number(request.query.get('days') ?? 1) || 1));
    body.forecast = { forecastday: Array.from({ length: days }, (_, i) => forecastDayOf(seed + i, now, i)) };
  }
  return { status: 200, body };
}

function weatherError(code: number, message: string): unknown {
  return { error: { code, message } };
}

function seedOf(q: string): number {
  return createHash('sha256').update(q.toLowerCase()).digest().readUInt16BE(0);
}

function locationOf(q: string, now: Date) {
  const name = q.replace(/\b\w/g, (c) => c.toUpperCase());
  return {
    name,
    region: '',
    country: 'Fakeland',
    lat: 51.52,
    lon: -0.11,
    tz_id: 'Europe/London',
    localtime_epoch: Math.floor(now.getTime() / 1000),
    localtime: now.toISOString().slice(0, 16).replace('T', ' '),
  };
}

function currentOf(seed: number, now: Date) {
  const temp = (seed % 35) - 5;
  return {
    last_updated_epoch: Math.floor(now.getTime() / 1000),
    last_updated: now.toISOString().slice(0, 16).replace('T', ' '),
    temp_c: temp,
    temp_f: temp * 1.8 + 32,
    is_day: 1,
    condition: { text: CONDITIONS[seed % CONDITIONS.length], icon: '//cdn.weatherapi.com/x.png', code: 1000 },
    wind_kph: seed % 40,
    wind_dir: 'WSW',
    pressure_mb: 1012,
    precip_mm: (seed % 5) / 2,
    humidity: 40 + (seed % 50),
    cloud: seed % 100,
    feelslike_c: temp - 2,
    uv: 3,
  };
}

function forecastDayOf(seed: number, now: Date, offset: number) {
  const date = new Date(now.getTime() + offset * 86_400_000);
  const max = (seed % 30) - 2;
  return {
    date: date.toISOString().slice(0, 10),
    date_epoch: Math.floor(date.getTime() / 1000),
    day: {
      maxtemp_c: max,
      mintemp_c: max - 8,
      avgtemp_c: max - 4,
      maxwind_kph: seed % 40,
      totalprecip_mm: (seed % 7) / 2,
      avghumidity: 60,
      daily_will_it_rain: seed % 2,
      daily_chance_of_rain: (seed * 7) % 100,
      daily_will_it_snow: 0,
      daily_chance_of_snow: 0,
      condition: {
        text: CONDITIONS[seed % CONDITIONS.length],
        icon: '//cdn.weatherapi.com/x.png',
        code: 1000,
      },
      uv: 4,
    },
    astro: { sunrise: '06:12 AM', sunset: '08:31 PM' },
    hour: [],
  };
}
