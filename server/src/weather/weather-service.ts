import {
  nullIfNotFound,
  type ProviderServiceOptions,
  ResilientSource,
  type Sourced,
} from '../providers/resilient-source.ts';
import type { WeatherClient, WeatherReport } from './weather-client.ts';

/** A weather answer with its provenance; `data` is null when the provider knows no such location. */
export type WeatherResult = Sourced<WeatherReport | null>;

/** What the weather tool needs; tests fake it. */
export interface WeatherLookup {
  /** Current conditions (`days` 0) or a forecast of 1–7 days. Throws only when `signal` aborts. */
  lookup(location: string, days: number, signal?: AbortSignal): Promise<WeatherResult>;
}

/** Fresh for 1 h, served stale for up to 24 h by default. */
export type WeatherServiceOptions = ProviderServiceOptions<Pick<WeatherClient, 'fetch'>>;

/** Weather behind a cache and one resilience policy; every answer says whether it is fresh, cached or stale. */
export class WeatherService implements WeatherLookup {
  readonly #client: Pick<WeatherClient, 'fetch'>;
  readonly #source: ResilientSource<WeatherReport | null>;

  constructor(options: WeatherServiceOptions) {
    const { client, ttlSeconds = 3600, ...rest } = options;
    this.#client = client;
    this.#source = new ResilientSource({ ...rest, name: 'weather', ttlSeconds });
  }

  get breakerState() {
    return this.#source.breakerState;
  }

  async lookup(location: string, days: number, signal?: AbortSignal): Promise<WeatherResult> {
    const query = normalizeLocation(location);
    return this.#source.get(
      `${query}|days=${days}`,
      (attempt) => nullIfNotFound(this.#client.fetch(query, days, attempt)),
      signal,
    );
  }
}

/** "  New   York " and "new york" are the same question, with the same cache key. */
export function normalizeLocation(location: string): string {
  return location.trim().toLowerCase().replace(/\s+/g, ' ');
}
