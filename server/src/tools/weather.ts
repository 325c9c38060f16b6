import * as z from 'zod';
import { describeProvenance } from '../providers/resilient-source.ts';
import { defineTool } from './define-tool.ts';
import { toolError, toolOk } from './tool-runner.ts';

export const getWeather = defineTool({
  name: 'get_weather',
  description:
    'Current weather and an optional daily forecast for a place. days = 0 (default) gives current conditions; ' +
    '1–7 adds a forecast from today (2 covers tomorrow). Report the provenance it states; when it says ' +
    'unavailable, say so and never make weather up.',
  parameters: z
    .object({
      location: z
        .string()
        .trim()
        .min(1)
        .max(100)
        .describe('City or place name, e.g. "Paris" or "Austin, TX" (max 100 chars)'),
      days: z
        .number()
        .int()
        .min(0)
        .max(7)
        .optional()
        .describe('Forecast days from today, 0–7; 0 = current only'),
    })
    .strict(),
  execute: async ({ location, days }, ctx) => {
    const result = await ctx.weather.lookup(location, days ?? 0, ctx.signal);
    const provenance = describeProvenance(result, 'weather');
    if (result.source === 'unavailable') return toolError(provenance, 'unavailable');
    if (result.data === null) {
      return toolError(
        `No location matches "${location}" (${provenance}). Ask the user to check the place name.`,
        result.source,
      );
    }
    return toolOk({ provenance, ...result.data }, result.source);
  },
});
