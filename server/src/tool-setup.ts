import type { ServerConfig } from '@parley/config';
import type { Logger } from '@parley/logger';
import type { Cache } from './cache/cache.ts';
import { MemoryCache } from './cache/memory-cache.ts';
import { RedisCache } from './cache/redis-cache.ts';
import { HolidayClient } from './holidays/holiday-client.ts';
import { HolidayService } from './holidays/holiday-service.ts';
import type { BreakerState } from './providers/resilience.ts';
import type { CacheResult } from './providers/resilient-source.ts';
import type { RedisConnection } from './redis/redis-client.ts';
import { builtinTools } from './tools/index.ts';
import { type ExternalToolSet, type ToolAccess, ToolRegistry } from './tools/registry.ts';
import type { ToolRunner } from './tools/tool-runner.ts';
import { WeatherClient } from './weather/weather-client.ts';
import { WeatherService } from './weather/weather-service.ts';

export interface ToolSetupDeps {
  config: Readonly<ServerConfig>;
  logger: Logger;
  clock: () => Date;
  /** Shared across replicas when set; a bounded in-process cache otherwise. */
  redis?: RedisConnection;
  /** Told when a provider's circuit breaker changes state (metrics). */
  onBreakerStateChange?: (provider: 'weather' | 'holidays', state: BreakerState) => void;
  /** Told how each provider lookup used the cache (metrics). */
  onCacheResult?: (provider: 'weather' | 'holidays', result: CacheResult) => void;
  /** MCP servers' tools, offered beside the built-in ones. */
  external?: ExternalToolSet;
  /** Which client may use which tool source. */
  access?: ToolAccess;
}

/**
 * Builds the tool registry with its providers, caches and breakers, beside the MCP servers' tools.
 * `get_weather` needs WEATHER_API_KEY; without one it is left out (and said so) rather than offered to
 * the model only to fail.
 */
export function createToolRunner(deps: ToolSetupDeps): ToolRunner {
  const { config, logger, clock, redis } = deps;
  const cache: Cache = redis ? new RedisCache({ redis, logger, clock }) : new MemoryCache({ clock });
  const { weather, holidays } = config.tools;
  const weatherService = new WeatherService({
    client: new WeatherClient({ baseUrl: weather.baseUrl, apiKey: weather.apiKey ?? '' }),
    cache,
    clock,
    logger,
    onBreakerStateChange: (state) => deps.onBreakerStateChange?.('weather', state),
    onCacheResult: (result) => deps.onCacheResult?.('weather', result),
  });
  const holidayService = new HolidayService({
    client: new HolidayClient({ baseUrl: holidays.baseUrl }),
    cache,
    clock,
    logger,
    onBreakerStateChange: (state) => deps.onBreakerStateChange?.('holidays', state),
    onCacheResult: (result) => deps.onCacheResult?.('holidays', result),
  });
  // Without TOOLS: every built-in tool and every MCP server's.
  let enabled = config.tools.enabled ?? [
    ...builtinTools.map((t) => t.name),
    ...(deps.external?.servers ?? []).map((server) => `mcp:${server}`),
  ];
  if (!weather.apiKey && enabled.includes('get_weather')) {
    logger.info('get_weather is off: set WEATHER_API_KEY to enable it');
    enabled = enabled.filter((name) => name !== 'get_weather');
  }
  return new ToolRegistry(builtinTools, {
    timeoutMs: config.tools.timeoutMs,
    enabled,
    services: { weather: weatherService, holidays: holidayService, clock, logger },
    ...(deps.external ? { external: deps.external } : {}),
    ...(deps.access ? { access: deps.access } : {}),
  });
}
