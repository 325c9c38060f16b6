import {
  nullIfNotFound,
  type ProviderServiceOptions,
  ResilientSource,
  type Sourced,
} from '../providers/resilient-source.ts';
import type { Holiday, HolidayClient } from './holiday-client.ts';

/** A year of holidays with its provenance; `data` is null when the provider knows no such country. */
export type HolidayResult = Sourced<Holiday[] | null>;

/** What the holidays tool needs; tests fake it. */
export interface HolidayLookup {
  /** Public holidays of `countryCode` (ISO 3166-1 alpha-2) in `year`. Throws only when `signal` aborts. */
  lookup(countryCode: string, year: number, signal?: AbortSignal): Promise<HolidayResult>;
}

/** Fresh for 24 h, served stale for up to 30 days by default. */
export type HolidayServiceOptions = ProviderServiceOptions<Pick<HolidayClient, 'fetch'>>;

/** Public holidays behind a cache and one resilience policy, with provenance on every answer. */
export class HolidayService implements HolidayLookup {
  readonly #client: Pick<HolidayClient, 'fetch'>;
  readonly #source: ResilientSource<Holiday[] | null>;

  constructor(options: HolidayServiceOptions) {
    const { client, ttlSeconds = 86_400, staleTtlSeconds = 30 * 86_400, ...rest } = options;
    this.#client = client;
    this.#source = new ResilientSource({ ...rest, name: 'holidays', ttlSeconds, staleTtlSeconds });
  }

  get breakerState() {
    return this.#source.breakerState;
  }

  async lookup(countryCode: string, year: number, signal?: AbortSignal): Promise<HolidayResult> {
    const country = countryCode.trim().toUpperCase();
    return this.#source.get(
      `${country}|${year}`,
      (attempt) => nullIfNotFound(this.#client.fetch(country, year, attempt)),
      signal,
    );
  }
}
