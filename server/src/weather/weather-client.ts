import * as z from 'zod';
import { asDirectory, failureForStatus, getProviderJson, ProviderError } from '../providers/provider-http.ts';

export interface WeatherClientOptions {
  /** Root of a WeatherAPI.com-compatible API, without `/v1` (e.g. `https://api.weatherapi.com`). */
  baseUrl: string;
  apiKey: string;
  /** Per request, including the body. Default 5000 ms. */
  timeoutMs?: number;
  /** Larger bodies are refused. Default 256 KiB (a 7-day forecast is about 100 KiB with hourly data). */
  maxBytes?: number;
}

/** What the weather tool reports: a compact, provider-neutral digest of the provider's answer. */
export interface WeatherReport {
  location: { name: string; region: string; country: string; localTime: string };
  current: {
    temperatureC: number;
    feelsLikeC: number;
    condition: string;
    windKph: number;
    humidityPercent: number;
    precipitationMm: number;
  };
  /** One entry per day from today; empty when only current conditions were asked for. */
  forecast: Array<{
    date: string;
    maxTemperatureC: number;
    minTemperatureC: number;
    condition: string;
    chanceOfRainPercent: number;
  }>;
}

const condition = z.object({ text: z.string() });
const responseSchema = z.object({
  location: z.object({ name: z.string(), region: z.string(), country: z.string(), localtime: z.string() }),
  current: z.object({
    temp_c: z.number(),
    feelslike_c: z.number(),
    condition,
    wind_kph: z.number(),
    humidity: z.number(),
    precip_mm: z.number(),
  }),
  forecast: z
    .object({
      forecastday: z.array(
        z.object({
          date: z.string(),
          day: z.object({
            maxtemp_c: z.number(),
            mintemp_c: z.number(),
            condition,
            daily_chance_of_rain: z.coerce.number(),
          }),
        }),
      ),
    })
    .optional(),
});
const errorSchema = z.object({ error: z.object({ code: z.number() }) });

/** WeatherAPI's "No matching location found." */
const NO_MATCHING_LOCATION = 1006;

/**
 * A WeatherAPI.com-compatible client: `/v1/current.json` for now, `/v1/forecast.json` for 1–7 days.
 * Throws {@link ProviderError} (kind `not_found` for an unknown location); its messages never hold the
 * URL, so the key stays out of errors and logs.
 */
export class WeatherClient {
  readonly #base: URL;
  readonly #apiKey: string;
  readonly #timeoutMs: number;
  readonly #maxBytes: number;

  constructor(options: WeatherClientOptions) {
    this.#base = asDirectory(options.baseUrl);
    this.#apiKey = options.apiKey;
    this.#timeoutMs = options.timeoutMs ?? 5000;
    this.#maxBytes = options.maxBytes ?? 256 * 1024;
  }

  /** Current conditions (`days` 0) or a forecast of `days` days from today (1–7). */
  async fetch(location: string, days: number, signal?: AbortSignal): Promise<WeatherReport> {
    const url = new URL(days > 0 ? 'v1/forecast.json' : 'v1/current.json', this.#base);
    const params = new URLSearchParams({ key: this.#apiKey, q: location });
    if (days > 0) params.set('days', String(days));
    params.set('aqi', 'no');
    if (days > 0) params.set('alerts', 'no');
    url.search = params.toString();
    const { status, body } = await getProviderJson({
      provider: 'weather',
      url,
      timeoutMs: this.#timeoutMs,
      maxBytes: this.#maxBytes,
      signal,
    });
    if (status < 200 || status > 299) throw errorFor(status, body);
    const parsed = responseSchema.safeParse(body);
    if (!parsed.success) throw new ProviderError('weather', 'bad_response', { status });
    return toReport(parsed.data);
  }
}

function errorFor(status: number, body: unknown): ProviderError {
  const providerCode = errorSchema.safeParse(body).data?.error.code;
  const kind = providerCode === NO_MATCHING_LOCATION ? 'not_found' : failureForStatus(status);
  return new ProviderError(
    'weather',
    kind,
    providerCode === undefined ? { status } : { status, providerCode },
  );
}

function toReport(data: z.infer<typeof responseSchema>): WeatherReport {
  const { location, current } = data;
  return {
    location: {
      name: location.name,
      region: location.region,
      country: location.country,
      localTime: location.localtime,
    },
    current: {
      temperatureC: current.temp_c,
      feelsLikeC: current.feelslike_c,
      condition: current.condition.text,
      windKph: current.wind_kph,
      humidityPercent: current.humidity,
      precipitationMm: current.precip_mm,
    },
    forecast: (data.forecast?.forecastday ?? []).map(({ date, day }) => ({
      date,
      maxTemperatureC: day.maxtemp_c,
      minTemperatureC: day.mintemp_c,
      condition: day.condition.text,
      chanceOfRainPercent: day.daily_chance_of_rain,
    })),
  };
}
