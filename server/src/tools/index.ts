import { getDatetime } from './datetime.ts';
import type { Tool } from './define-tool.ts';
import { getHolidays } from './holidays.ts';
import { getWeather } from './weather.ts';

/** Every tool the server offers; adding one is a file beside this one and a line here. */
export const builtinTools: readonly Tool[] = [getDatetime, getWeather, getHolidays];
