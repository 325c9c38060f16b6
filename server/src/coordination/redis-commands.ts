import type { RedisConnection } from '../redis/redis-client.ts';

/**
 * The few Redis commands coordination needs, in node-redis 5's call shapes. Our own narrow interface:
 * node-redis's full client type depends on its loaded modules, and tests can check what is sent.
 */
export interface RedisCommands {
  set(
    key: string,
    value: string,
    options?: { NX?: boolean; XX?: boolean; PX?: number; EX?: number },
  ): Promise<string | null>;
  get(key: string): Promise<string | null>;
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
}

/** The shared fail-fast connection seen through {@link RedisCommands}. */
export function redisCommands(connection: RedisConnection): RedisCommands {
  return {
    set: (key, value, options) => connection.run((client) => client.set(key, value, options)),
    get: (key) => connection.run((client) => client.get(key)),
    eval: (script, options) => connection.run((client) => client.eval(script, options)),
  };
}
