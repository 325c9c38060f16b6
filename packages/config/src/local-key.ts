import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Where a server started without `API_KEYS` keeps the key it generated, and where the CLI looks for it.
 * `PARLEY_LOCAL_KEY_FILE` overrides it; otherwise `$XDG_CONFIG_HOME/parley/local-api-key`.
 */
export function defaultLocalKeyFile(env: Record<string, string | undefined>): string {
  if (env.PARLEY_LOCAL_KEY_FILE) return env.PARLEY_LOCAL_KEY_FILE;
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return join(base, 'parley', 'local-api-key');
}
