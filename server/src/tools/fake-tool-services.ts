import { createLogger, type Logger } from '@parley/logger';
import type { HolidayLookup, HolidayResult } from '../holidays/holiday-service.ts';
import type { WeatherLookup, WeatherResult } from '../weather/weather-service.ts';
import type { ToolServices } from './define-tool.ts';

/** A {@link WeatherLookup} answering from a script, recording every call. For tests. */
export class FakeWeatherLookup implements WeatherLookup {
  readonly calls: Array<{ location: string; days: number }> = [];
  constructor(private readonly answer: (location: string, days: number) => WeatherResult) {}

  async lookup(location: string, days: number): Promise<WeatherResult> {
    this.calls.push({ location, days });
    return this.answer(location, days);
  }
}

/** A {@link HolidayLookup} answering from a script, recording every call. For tests. */
export class FakeHolidayLookup implements HolidayLookup {
  readonly calls: Array<{ countryCode: string; year: number }> = [];
  constructor(private readonly answer: (countryCode: string, year: number) => HolidayResult) {}

  async lookup(countryCode: string, year: number): Promise<HolidayResult> {
    this.calls.push({ countryCode, year });
    return this.answer(countryCode, year);
  }
}

/** Tool services of fakes: providers that are unavailable, a fixed clock, a silent logger. */
export function fakeToolServices(overrides: Partial<ToolServices> = {}): ToolServices {
  const logger: Logger = createLogger({ name: 'test', level: 'silent', pretty: false });
  return {
    weather: new FakeWeatherLookup(() => ({ source: 'unavailable' })),
    holidays: new FakeHolidayLookup(() => ({ source: 'unavailable' })),
    clock: () => new Date('2026-01-15T12:34:56Z'),
    logger,
    ...overrides,
  };
}
