import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPolicyConfig, loadServerConfig } from '@parley/config';
import { createLogger, type Logger } from '@parley/logger';
import {
  type AdminClient,
  type ChatClient,
  createAdminClient,
  createChatClient,
  createIdentityClient,
  createUsageClient,
  type IdentityClient,
  type UsageClient,
} from '@parley/rpc';
import { createParleyServer, type ParleyOverrides } from '../../server/src/parley-server.ts';

export const TEST_KEY = 'test-key-0123456789abcdef';
export const OTHER_KEY = 'other-key-0123456789abcdef';

export interface RunningParley {
  url: string;
  dataDir: string;
  client(options?: { json?: boolean; apiKey?: string }): ChatClient;
  usage(options?: { json?: boolean; apiKey?: string }): UsageClient;
  admin(options?: { json?: boolean; apiKey?: string }): AdminClient;
  identity(options?: { json?: boolean; apiKey?: string }): IdentityClient;
  /** Stops the server; the data directory stays until {@link RunningParley.cleanup}. */
  stop(): Promise<void>;
  cleanup(): Promise<void>;
}

/** Starts the real server (HTTP edge, Twirp, embedded store) on a free loopback port. */
export async function startParley(
  options: {
    env?: Record<string, string>;
    overrides?: ParleyOverrides;
    dataDir?: string;
    /** Where the server logs (a test reading log lines passes its own); silent by default. */
    logger?: Logger;
  } = {},
): Promise<RunningParley> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'parley-test-')));
  const env = {
    PORT: '0',
    HOST: '127.0.0.1',
    API_KEYS: `test=${TEST_KEY},other=${OTHER_KEY}`,
    DATA_DIR: dataDir,
    SHUTDOWN_TIMEOUT_MS: '2000',
    // Titles are made in the background by a model call; tests that script the model opt in.
    GENERATE_TITLES: 'false',
    ...options.env,
  };
  const config = loadServerConfig(env);
  // The policy variables (RATE_LIMIT_*, BUDGET_*, ADMIN_CLIENTS, ...) come from the same env.
  const policy = loadPolicyConfig(env, {
    clients: config.apiKeys.map((k) => k.client),
    defaultModel: config.openai.model,
  });
  const logger =
    options.logger ??
    createLogger({ name: 'parley-test', level: process.env.TEST_LOG_LEVEL ?? 'silent', pretty: false });
  const parley = await createParleyServer(config, logger, { policy, ...options.overrides });
  const address = await parley.listen();
  const url = `http://127.0.0.1:${address.port}`;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await parley.close();
  };
  return {
    url,
    dataDir,
    client: ({ json = false, apiKey = TEST_KEY } = {}) =>
      createChatClient({ baseUrl: url, apiKey, json, timeoutMs: 20_000 }),
    usage: ({ json = false, apiKey = TEST_KEY } = {}) =>
      createUsageClient({ baseUrl: url, apiKey, json, timeoutMs: 20_000 }),
    admin: ({ json = false, apiKey = TEST_KEY } = {}) =>
      createAdminClient({ baseUrl: url, apiKey, json, timeoutMs: 20_000 }),
    identity: ({ json = false, apiKey = TEST_KEY } = {}) =>
      createIdentityClient({ baseUrl: url, apiKey, json, timeoutMs: 20_000 }),
    stop,
    async cleanup() {
      await stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Resolves once the server's /ready reports Redis connected: the server connects in the background (it
 * must start while Redis is down), so a test that needs Redis waits for it to say so.
 */
export async function waitForRedis(url: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const body = (await (await fetch(`${url}/ready`)).json()) as {
      components?: { redis?: { ok?: boolean } };
    };
    if (body.components?.redis?.ok) return;
    if (Date.now() > deadline) throw new Error(`${url} did not connect to Redis in ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
