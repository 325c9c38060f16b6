// First, before any other module of the server runs: optimisation stays off while it starts.
import './start-up-tiering.ts';
import cluster from 'node:cluster';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { dirname } from 'node:path';
import {
  ConfigError,
  loadMcpConfig,
  loadPolicyConfig,
  loadServerConfig,
  type McpServerConfig,
  type PolicyConfig,
  redact,
  type ServerConfig,
} from '@parley/config';
import { createLogger, type Logger } from '@parley/logger';
import { startTracing } from '@parley/telemetry';
import { Registry } from 'prom-client';
import { compactWhenIdle } from './idle-heap.ts';
import { assertPortFree } from './port-listeners.ts';
import { optimizeFromNowOn } from './start-up-tiering.ts';
import { poolMetrics, runWorkerPool, workerChannel } from './worker-pool.ts';

// The composition root: the only module that reads process.env.

async function main(): Promise<void> {
  const { mcpServers, policy, ...loaded } = loadConfiguration();
  const workers = workerCount(loaded.config);
  let config: Readonly<ServerConfig> = Object.freeze({ ...loaded.config, workers });
  const worker = cluster.isWorker ? cluster.worker?.id : undefined;
  const root = createLogger({ name: 'parley-server', level: config.logLevel });
  const logger = worker === undefined ? root : root.child({ worker, pid: process.pid });
  // In a pool the primary makes the local key file first; its workers then all read the same key.
  if (config.apiKeys.length === 0) config = await withLocalKey(config, logger);
  if (cluster.isPrimary && workers > 1) {
    logger.debug({ config: redact(config) }, 'configuration');
    // The workers bind the port together (SO_REUSEPORT): a server already on it must stop this pool here.
    await assertPortFree(config.host, config.port);
    optimizeFromNowOn();
    process.exit(await runWorkerPool({ workers, logger, shutdownTimeoutMs: config.shutdownTimeoutMs }));
  }
  if (worker === undefined) logger.debug({ config: redact(config) }, 'configuration');
  // A worker whose primary is gone (killed) has nobody to restart or stop it. Before it serves, it
  // would wait forever for the primary to hand it the port: it exits; once it serves, it drains first.
  let onPrimaryGone = (): void => process.exit(1);
  if (worker !== undefined) process.once('disconnect', () => onPrimaryGone());

  const tracing = await startTracing(process.env);
  // Loaded here, not at the top: a pool's primary serves nothing and never needs the server's modules.
  const { createParleyServer } = await import('./parley-server.ts');
  const registry = new Registry();
  const parley = await createParleyServer(config, logger, {
    registry,
    mcpServers,
    policy,
    ...(worker === undefined
      ? {}
      : { pool: { worker, metrics: poolMetrics(registry), channel: workerChannel() } }),
  });
  const address = await parley.listen();
  optimizeFromNowOn();
  const idleHeap = compactWhenIdle({
    onCompact: (ms) => logger.debug({ ms: Math.round(ms) }, 'idle: heap collected and shrunk'),
  });
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  logger.info(
    {
      url,
      model: config.openai.model,
      modelConfigured: Boolean(config.openai.apiKey || config.openai.baseUrl),
      tracing: tracing.mode,
      metricsProtected: Boolean(config.metrics.token),
    },
    'Parley is listening on %s — chat from another terminal with: npm run chat',
    url,
  );
  if (!config.openai.apiKey && !config.openai.baseUrl) {
    logger.warn(
      'no model configured: set OPENAI_API_KEY, or OPENAI_BASE_URL for an OpenAI-compatible server',
    );
  }

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    idleHeap.stop();
    logger.info({ signal }, 'shutting down: draining in-flight requests');
    parley
      .close()
      // Spans that cannot be flushed (collector gone) are lost; that is no reason to fail the shutdown.
      .then(() => tracing.shutdown().catch((err: unknown) => logger.warn({ err }, 'could not flush traces')))
      .then(
        () => process.exit(0),
        (err: unknown) => {
          logger.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  onPrimaryGone = () => stop('primary gone');
}

/** WORKERS as a number: `auto` is one process per core this process may use. */
function workerCount(config: Readonly<ServerConfig>): number {
  return config.workers === 'auto' ? availableParallelism() : config.workers;
}

/** Every part of the configuration, checked together: one start lists every problem, then exits 2. */
function loadConfiguration(): {
  config: Readonly<ServerConfig>;
  mcpServers: readonly McpServerConfig[];
  policy: Readonly<PolicyConfig>;
} {
  const problems: string[] = [];
  const attempt = <T>(load: () => T): T | undefined => {
    try {
      return load();
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.push(...err.problems);
      return undefined;
    }
  };
  const config = attempt(() => loadServerConfig(process.env));
  // Keyless mode names one client, `local`: no API_KEYS names to check against.
  const clients = config?.apiKeys.map((entry) => entry.client) ?? [];
  const readFile = (path: string) => readFileSync(path, 'utf8');
  const mcpServers = attempt(() => loadMcpConfig(process.env, { readFile, knownClients: clients }));
  const policy = config
    ? attempt(() => loadPolicyConfig(process.env, { clients, defaultModel: config.openai.model, readFile }))
    : undefined;
  if (!config || !mcpServers || !policy || problems.length > 0) {
    process.stderr.write(`parley server: ${new ConfigError(problems).message}\n`);
    process.exit(2);
  }
  return { config, mcpServers, policy };
}

/**
 * Without API_KEYS the server listens on loopback only and uses a key it generates once and keeps in a
 * file only this user can read; the CLI on the same machine finds it there.
 */
async function withLocalKey(config: Readonly<ServerConfig>, logger: Logger): Promise<Readonly<ServerConfig>> {
  if (!isLoopback(config.host)) {
    throw new Error(`refusing to listen on ${config.host} without API_KEYS: set API_KEYS or HOST=127.0.0.1`);
  }
  let key = await readFile(config.localKeyFile, 'utf8').then(
    (k) => k.trim(),
    () => '',
  );
  if (key.length < 16) {
    key = randomBytes(24).toString('base64url');
    await mkdir(dirname(config.localKeyFile), { recursive: true, mode: 0o700 });
    await writeFile(config.localKeyFile, `${key}\n`, { mode: 0o600 });
  }
  logger.info({ keyFile: config.localKeyFile }, 'no API_KEYS set: loopback only, using the local key file');
  return Object.freeze({ ...config, apiKeys: [{ client: 'local', key }] });
}

function isLoopback(host: string): boolean {
  return host === '127.0.0.1' || host === '::1' || host === 'localhost';
}

main().catch((err: unknown) => {
  process.stderr.write(`parley server: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
