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
