import * as z from 'zod';
import { defineTool } from './define-tool.ts';
import { toolOk } from './tool-runner.ts';

/** True for names Intl accepts: IANA zones (any case, aliases included) and `UTC`. */
export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

export const getDatetime = defineTool({
  name: 'get_datetime',
  description:
    'The current date, time and weekday in an IANA time zone (e.g. "Europe/Berlin", "America/New_York"). ' +
    'Use it whenever the answer depends on today, now, or a relative date. Defaults to UTC.',
  parameters: z
    .object({
      timezone: z
        .string()
        .max(64)
        .refine(isTimeZone, { message: 'is not a known IANA time zone (use a name like "Europe/Berlin")' })
        .optional()
        .describe('IANA time zone name; UTC when omitted'),
    })
    .strict(),
  execute: async ({ timezone }, ctx) => toolOk(describeInstant(ctx.clock(), timezone ?? 'UTC')),
});

/** `now` as seen in `timeZone`, with enough fields that the model need not compute any itself. */
export function describeInstant(now: Date, timeZone: string) {
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    weekday: 'long',
    timeZoneName: 'longOffset',
  });
  const parts = Object.fromEntries(format.formatToParts(now).map((part) => [part.type, part.value]));
  // "GMT+05:30", or plain "GMT" at offset zero.
  const utcOffset = (parts.timeZoneName ?? 'GMT').replace('GMT', '') || '+00:00';
  const date = `${parts.year}-${parts.month}-${parts.day}`;
  const time = `${parts.hour}:${parts.minute}:${parts.second}`;
  // ICU resolves some current names to legacy ones (Asia/Kolkata → Asia/Calcutta): keep the name asked for
  // unless the resolved one only fixes its case.
  const resolved = format.resolvedOptions().timeZone;
  return {
    timezone: resolved.toLowerCase() === timeZone.toLowerCase() ? resolved : timeZone,
    localDateTime: `${date}T${time}${utcOffset}`,
    date,
    time,
    weekday: parts.weekday ?? '',
    utcOffset,
    utc: now.toISOString(),
  };
}
