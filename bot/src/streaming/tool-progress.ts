import type { Texts } from '../i18n/texts.ts';

/** Longest argument quoted in a progress line; a model can send anything. */
const MAX_ARGUMENT_CHARS = 60;

/**
 * What the assistant is doing, in words for the chat ("Looking up the weather in Paris"), from a tool
 * call's name and JSON arguments. The built-in tools get a sentence of their own; any other tool (an MCP
 * server's) is named, unless the bot is configured not to show tool names. Plain text: escape it for HTML.
 */
export function describeToolCall(
  name: string,
  argumentsJson: string,
  texts: Texts,
  showNames = true,
): string {
  const { t } = texts;
  const args = parseArguments(argumentsJson);
  switch (name) {
    case 'get_weather': {
      const place = text(args.location);
      const forecast = typeof args.days === 'number' && args.days > 0;
      if (!place) return forecast ? t('progress.forecast') : t('progress.weather');
      return forecast ? t('progress.forecastIn', { place }) : t('progress.weatherIn', { place });
    }
    case 'get_datetime': {
      const zone = text(args.timezone);
      return zone ? t('progress.timeIn', { zone }) : t('progress.time');
    }
    case 'get_holidays': {
      const country = text(args.country_code)?.toUpperCase();
      if (!country) return t('progress.holidays');
      return typeof args.year === 'number'
        ? t('progress.holidaysInYear', { country, year: String(args.year) })
        : t('progress.holidaysIn', { country });
    }
    default:
      return showNames ? t('progress.tool', { name: clip(name) }) : t('progress.someTool');
  }
}

function parseArguments(json: string): Record<string, unknown> {
  try {
    const value = JSON.parse(json) as unknown;
    return value && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {};
  } catch {
    // Arguments the model got wrong: the tool will say so; the progress line just stays general.
    return {};
  }
}

function text(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.replace(/\s+/g, ' ').trim();
  return trimmed ? clip(trimmed) : undefined;
}

function clip(value: string): string {
  const chars = [...value];
  return chars.length > MAX_ARGUMENT_CHARS ? `${chars.slice(0, MAX_ARGUMENT_CHARS - 1).join('')}…` : value;
}
