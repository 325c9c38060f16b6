import * as z from 'zod';
import { asDirectory, failureForStatus, getProviderJson, ProviderError } from '../providers/provider-http.ts';

export interface HolidayClientOptions {
  /** Root of a Nager.Date-compatible API (e.g. `https://date.nager.at`). */
  baseUrl: string;
  /** Per request, including the body. Default 5000 ms. */
  timeoutMs?: number;
  /** Larger bodies are refused. Default 256 KiB (a year of holidays is a few KiB). */
  maxBytes?: number;
}

/** One public holiday, as the holidays tool reports it. */
export interface Holiday {
  /** ISO date, `YYYY-MM-DD`. */
  date: string;
  name: string;
  localName: string;
  /** False when only some regions observe it (listed in `regions`). */
  nationwide: boolean;
  regions?: string[];
  types: string[];
}

const holidaySchema = z.object({
  date: z.string(),
  localName: z.string(),
  name: z.string(),
  global: z.boolean(),
  counties: z.array(z.string()).nullish(),
  types: z.array(z.string()).nullish(),
});
const responseSchema = z.array(holidaySchema);

/**
 * A Nager.Date-compatible client: `GET /api/v3/PublicHolidays/{year}/{countryCode}`. Throws
 * {@link ProviderError}; kind `not_found` for a country the provider does not know.
 */
export class HolidayClient {
  readonly #base: URL;
  readonly #timeoutMs: number;
  readonly #maxBytes: number;

  constructor(options: HolidayClientOptions) {
    this.#base = asDirectory(options.baseUrl);
    this.#timeoutMs = options.timeoutMs ?? 5000;
    this.#maxBytes = options.maxBytes ?? 256 * 1024;
  }

  async fetch(countryCode: string, year: number, signal?: AbortSignal): Promise<Holiday[]> {
    if (!/^[A-Z]{2}$/.test(countryCode) || !Number.isInteger(year)) {
      throw new ProviderError('holidays', 'rejected');
    }
    // Both segments are checked above, so they cannot change the path; encoding is belt and braces.
    const path = `api/v3/PublicHolidays/${encodeURIComponent(year)}/${encodeURIComponent(countryCode)}`;
    const url = new URL(path, this.#base);
    const request = {
      provider: 'holidays',
      url,
      timeoutMs: this.#timeoutMs,
      maxBytes: this.#maxBytes,
      signal,
    };
    const { status, body } = await getProviderJson(request);
    if (status === 204) return [];
    if (status < 200 || status > 299)
      throw new ProviderError('holidays', failureForStatus(status), { status });
    const parsed = responseSchema.safeParse(body);
    if (!parsed.success) throw new ProviderError('holidays', 'bad_response', { status });
    return parsed.data.map((h) => ({
      date: h.date,
      name: h.name,
      localName: h.localName,
      nationwide: h.global,
      ...(h.global || !h.counties?.length ? {} : { regions: h.counties }),
      types: h.types ?? [],
    }));
  }
}
