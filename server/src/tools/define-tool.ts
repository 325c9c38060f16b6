import type { Logger } from '@parley/logger';
import type { z } from 'zod';
import type { HolidayLookup } from '../holidays/holiday-service.ts';
import type { WeatherLookup } from '../weather/weather-service.ts';
import type { ToolResult } from './tool-runner.ts';

/** The services every tool call gets, fixed when the registry is built. */
export interface ToolServices {
  weather: WeatherLookup;
  holidays: HolidayLookup;
  clock: () => Date;
  logger: Logger;
}

/**
 * Everything a tool may use. Tools import no singletons: what they need arrives here, so tests hand them
 * fakes and the registry can bound them (the signal aborts on the tool timeout or when the turn is cancelled).
 */
export interface ToolContext extends ToolServices {
  signal: AbortSignal;
}

/** Tool parameters are always a JSON object at the top level, as function calling requires. */
export type ToolParameters = z.ZodObject;

/**
 * One tool the model may call. `parameters` is the single source of truth: it becomes the JSON schema the
 * model sees and it validates what the model sends, so `execute` receives checked, typed input.
 */
export interface Tool<P extends ToolParameters = ToolParameters> {
  /** `^[a-zA-Z0-9_-]{1,64}$`, unique in a registry. */
  readonly name: string;
  /** What the tool does and when to use it; the model reads this. */
  readonly description: string;
  readonly parameters: P;
  execute(input: z.output<P>, ctx: ToolContext): Promise<ToolResult>;
}

const NAME = /^[a-zA-Z0-9_-]{1,64}$/;

/** Declares a tool; checks the name early so a typo fails at start-up, not at the model's first call. */
export function defineTool<P extends ToolParameters>(tool: Tool<P>): Tool<P> {
  if (!NAME.test(tool.name)) throw new Error(`tool name "${tool.name}" must match ${NAME}`);
  if (tool.description.trim() === '') throw new Error(`tool "${tool.name}" needs a description`);
  return Object.freeze({ ...tool });
}
