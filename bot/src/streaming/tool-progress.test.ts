import { describe, expect, it } from 'vitest';
import { textsFor } from '../i18n/texts.ts';
import { describeToolCall as describeIn } from './tool-progress.ts';

const en = textsFor('en');
const describeToolCall = (name: string, args: string, showNames = true) =>
  describeIn(name, args, en, showNames);

describe('describeToolCall', () => {
  it('says what the built-in tools are doing, with their arguments', () => {
    expect(describeToolCall('get_weather', '{"location":"Paris"}')).toBe('Looking up the weather in Paris');
    expect(describeToolCall('get_weather', '{"location":"Oslo","days":3}')).toBe(
      'Looking up the forecast for Oslo',
    );
    expect(describeToolCall('get_datetime', '{}')).toBe('Checking the date and time');
    expect(describeToolCall('get_datetime', '{"timezone":"Asia/Tokyo"}')).toBe(
      'Checking the time in Asia/Tokyo',
    );
    expect(describeToolCall('get_holidays', '{"country_code":"de","year":2026}')).toBe(
      'Looking up public holidays in DE for 2026',
    );
  });

  it('stays general when the arguments are broken or odd', () => {
    expect(describeToolCall('get_weather', '{"location":')).toBe('Looking up the weather');
    expect(describeToolCall('get_weather', '["Paris"]')).toBe('Looking up the weather');
    expect(describeToolCall('get_weather', '{"location":"  "}')).toBe('Looking up the weather');
    const long = describeToolCall('get_weather', JSON.stringify({ location: 'x'.repeat(500) }));
    expect(long.length).toBeLessThan(100);
    expect(long.endsWith('…')).toBe(true);
  });

  it('names other tools, unless names are hidden', () => {
    expect(describeToolCall('wiki__search', '{}')).toBe('Using wiki__search');
    expect(describeToolCall('wiki__search', '{}', false)).toBe('Using a tool');
  });
});
