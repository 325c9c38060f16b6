import { describe, expect, it } from 'vitest';
import { getDatetime } from './datetime.ts';
import { fakeToolServices } from './fake-tool-services.ts';
import { ToolRegistry } from './registry.ts';

// Thursday, 15 January 2026, 12:34:56 UTC.
const tools = new ToolRegistry([getDatetime], {
  timeoutMs: 1000,
  services: fakeToolServices({ clock: () => new Date('2026-01-15T12:34:56Z') }),
});

async function now(args: object) {
  const result = await tools.invoke('get_datetime', JSON.stringify(args));
  return { ...result, data: result.isError ? undefined : JSON.parse(result.content) };
}

describe('get_datetime', () => {
  it('tells the time in the requested zone from the injected clock', async () => {
    const { data } = await now({ timezone: 'Asia/Kolkata' });
    expect(data).toEqual({
      timezone: 'Asia/Kolkata',
      localDateTime: '2026-01-15T18:04:56+05:30',
      date: '2026-01-15',
      time: '18:04:56',
      weekday: 'Thursday',
      utcOffset: '+05:30',
      utc: '2026-01-15T12:34:56.000Z',
    });
  });

  it('crosses the date line and names the weekday there', async () => {
    const { data } = await now({ timezone: 'Pacific/Kiritimati' });
    expect(data).toMatchObject({
      date: '2026-01-16',
      time: '02:34:56',
      weekday: 'Friday',
      utcOffset: '+14:00',
    });
  });

  it('defaults to UTC when no zone is given or it is null', async () => {
    for (const args of [{}, { timezone: null }]) {
      const { data } = await now(args);
      expect(data).toMatchObject({ timezone: 'UTC', time: '12:34:56', utcOffset: '+00:00' });
    }
  });

  it('canonicalises the case of a zone name', async () => {
    expect((await now({ timezone: 'europe/berlin' })).data).toMatchObject({ timezone: 'Europe/Berlin' });
  });

  it('answers an unknown zone with a validation message the model can act on', async () => {
    const result = await now({ timezone: 'Mars/Olympus_Mons' });
    expect(result).toMatchObject({ isError: true, outcome: 'invalid' });
    expect(result.content).toContain('timezone: is not a known IANA time zone');
  });
});
