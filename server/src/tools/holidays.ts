import * as z from 'zod';
import { describeProvenance } from '../providers/resilient-source.ts';
import { defineTool } from './define-tool.ts';
import { toolError, toolOk } from './tool-runner.ts';

/** Years the tool answers for, around the current one; beyond that a request is more likely a mistake. */
const YEAR_SPAN = 5;

export const getHolidays = defineTool({
  name: 'get_holidays',
  description:
    'Public holidays of a country in a year (default: the current year), from a public holiday calendar. ' +
    'Set upcoming_only to list only holidays from today on. Report the provenance it states.',
  parameters: z
    .object({
      country_code: z
        .string()
        .regex(/^[A-Za-z]{2}$/, 'must be a two-letter ISO 3166-1 country code such as "DE" or "US"')
        .describe('Two-letter ISO 3166-1 country code, e.g. "DE"'),
      year: z
        .number()
        .int()
        .min(1900)
        .max(2200)
        .optional()
        .describe(`Year, within ${YEAR_SPAN} years of now`),
      upcoming_only: z.boolean().optional().describe('Only holidays from today on'),
    })
    .strict(),
  execute: async ({ country_code, year, upcoming_only }, ctx) => {
    // Today in UTC: at most a day off from the country's own date, which does not matter for "upcoming".
    const today = ctx.clock().toISOString().slice(0, 10);
    const thisYear = Number(today.slice(0, 4));
    const wanted = year ?? thisYear;
    if (Math.abs(wanted - thisYear) > YEAR_SPAN) {
      const range = `${thisYear - YEAR_SPAN}–${thisYear + YEAR_SPAN}`;
      return toolError(`year must be between ${range}; ${wanted} is out of range.`, 'invalid');
    }
    const result = await ctx.holidays.lookup(country_code, wanted, ctx.signal);
    const provenance = describeProvenance(result, 'holidays');
    if (result.source === 'unavailable') return toolError(provenance, 'unavailable');
    const country = country_code.toUpperCase();
    if (result.data === null) {
      return toolError(
        `"${country}" is not a country the holiday calendar knows (${provenance}).`,
        result.source,
      );
    }
    const holidays = upcoming_only ? result.data.filter((h) => h.date >= today) : result.data;
    return toolOk({ provenance, country, year: wanted, holidays }, result.source);
  },
});
