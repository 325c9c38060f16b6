import { createHash } from 'node:crypto';

/** What models accept as a function name (OpenAI and Anthropic agree on this). */
export const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

/**
 * Gives each of a server's tools a name `<server>__<tool>` that models accept. MCP allows names that
 * models do not (dots, slashes, up to 128 characters), so other characters become `_` and a name too long
 * is cut and suffixed with a short hash of the original, which keeps it stable across restarts. Returns
 * undefined for a name that would collide with one already given (the first tool keeps it).
 */
export class ToolNamer {
  readonly #prefix: string;
  readonly #taken = new Set<string>();

  constructor(server: string) {
    this.#prefix = `${server}__`;
  }

  name(tool: string): string | undefined {
    let name = `${this.#prefix}${tool.replace(/[^a-zA-Z0-9_-]/g, '_')}`;
    if (name.length > 64) {
      const hash = createHash('sha256').update(tool).digest('hex').slice(0, 8);
      name = `${name.slice(0, 64 - 9)}_${hash}`;
    }
    if (!TOOL_NAME.test(name) || this.#taken.has(name)) return undefined;
    this.#taken.add(name);
    return name;
  }
}
