import { readFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { type BotConfig, ConfigError, loadBotConfig, redact } from '@parley/config';
import { createLogger, type Logger } from '@parley/logger';
import {
  createChatClient,
  createChatStreamClient,
  createIdentityClient,
  createUsageClient,
} from '@parley/rpc';
import { startTracing } from '@parley/telemetry';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { createBot, type ParleyBot } from './bot.ts';
import { createBotHttpServer } from './http-server.ts';

// The composition root: the only module that reads process.env.

const ALLOWED_UPDATES = ['message', 'callback_query'] as const;
/** Answers in progress get this long to finish on SIGTERM: inside the usual 30 s termination grace. */
const DRAIN_MS = 25_000;

async function main(): Promise<void> {
  let config: Readonly<BotConfig>;
  try {
    config = loadBotConfig(process.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`parley bot: ${err.message}\n`);
    process.exit(2);
  }
  // Before anything makes spans: the SDK starts only when OTEL_* asks for it (see docs/observability.md).
  const tracing = await startTracing(process.env, 'parley-bot');
  const logger = createLogger({ name: 'parley-bot', level: config.logLevel });
  logger.debug({ config: redact(config) }, 'configuration');

  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  // The stream's timeout is the wait for its first event: the RPC deadline, as for a unary call.
  const parleyServer = {
    baseUrl: config.parley.url,
    apiKey: await apiKeyOf(config),
    timeoutMs: config.parley.timeoutMs,
  };
  const bot = createBot({
    token: config.telegram.token,
    ...(config.telegram.apiRoot ? { apiRoot: config.telegram.apiRoot } : {}),
    parley: { ...createChatClient(parleyServer), ...createChatStreamClient(parleyServer) },
    usage: createUsageClient(parleyServer),
    identity: createIdentityClient(parleyServer),
    logger,
    registry,
    allowedUsers: config.allowedUsers,
    showTools: config.showTools,
    rpcTimeoutMs: config.parley.timeoutMs,
  });

  const server =
    config.mode.kind === 'webhook' ? await startWebhook(bot, config, logger, registry) : undefined;
  const polling = config.mode.kind === 'polling' ? startPolling(bot, config, logger, registry) : undefined;
  await bot.registerCommands();
  logger.info(
    { mode: config.mode.kind, parley: config.parley.url, allowlist: config.allowedUsers.ids.length > 0 },
    'Parley bot is running',
  );
  onSignals(() =>
    shutdown({
      bot,
      server: server ?? polling?.server,
      polling: polling?.done,
      logger,
      flush: tracing.shutdown,
    }),
  );
}

/** The bot's key, or the one a keyless server on this machine wrote for local clients. */
async function apiKeyOf(config: Readonly<BotConfig>): Promise<string> {
  const { credentials } = config.parley;
  if (credentials.kind === 'api-key') return credentials.apiKey;
  const key = await readFile(credentials.path, 'utf8').then(
    (text) => text.trim(),
    () => '',
  );
  if (key) return key;
  throw new Error(
    `no PARLEY_API_KEY and no local key file at ${credentials.path}: ` +
      'start the Parley server on this machine first (it writes that file), or set PARLEY_API_KEY',
  );
}

async function startWebhook(
  bot: ParleyBot,
  config: Readonly<BotConfig>,
  logger: Logger,
  registry: Registry,
): Promise<Server> {
  if (config.mode.kind !== 'webhook') throw new Error('not in webhook mode');
  const { url, path, secret, port, host } = config.mode;
  const { telegraf } = bot;
  telegraf.botInfo = await telegraf.telegram.getMe();
  const handler = telegraf.webhookCallback(path, { secretToken: secret });
  const server = createBotHttpServer({ logger, registry, webhook: { path, handler } });
  await listen(server, port, host);
  await telegraf.telegram.setWebhook(url, { secret_token: secret, allowed_updates: [...ALLOWED_UPDATES] });
  logger.info({ port, path }, 'webhook set; serving it, /health and /metrics');
  return server;
}

function startPolling(bot: ParleyBot, config: Readonly<BotConfig>, logger: Logger, registry: Registry) {
  if (config.mode.kind !== 'polling') throw new Error('not in polling mode');
  const { port, host } = config.mode;
  const server = port === undefined ? undefined : createBotHttpServer({ logger, registry });
  if (server && port !== undefined) {
    listen(server, port, host).then(
      () => logger.info({ port }, 'serving /health and /metrics'),
      (err: unknown) => fail(logger, err),
    );
  }
  // launch() resolves when polling stops, and rejects when it cannot go on (a revoked token).
  const done = bot.telegraf
    .launch({ allowedUpdates: [...ALLOWED_UPDATES] })
    .catch((err: unknown) => fail(logger, err));
  return { server, done };
}

interface Running {
  bot: ParleyBot;
  server: Server | undefined;
  polling: Promise<void> | undefined;
  logger: Logger;
  /** Flushes spans still queued for export. */
  flush: () => Promise<void>;
}

/** Stops taking updates, lets answers in progress finish (bounded), then exits. */
async function shutdown({ bot, server, polling, logger, flush }: Running): Promise<void> {
  logger.info({ pending: bot.queue.size }, 'shutting down: finishing answers in progress');
  if (polling) bot.telegraf.stop('shutdown');
  server?.close();
  server?.closeIdleConnections();
  const drained = await bot.queue.drain(DRAIN_MS);
  if (!drained) logger.warn({ pending: bot.queue.size }, 'gave up waiting for answers in progress');
  // Long polling confirms the last offset on its way out, so handled updates are not delivered again.
  await Promise.race([polling, new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
  server?.closeAllConnections();
  await flush().catch((err: unknown) => logger.warn({ err }, 'could not flush traces'));
  process.exit(0);
}

function onSignals(stop: () => Promise<void>): void {
  let stopping = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      void stop();
    });
  }
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
}

function fail(logger: Logger, err: unknown): never {
  logger.fatal({ err }, 'the bot cannot run');
  process.exit(1);
}

main().catch((err: unknown) => {
  process.stderr.write(`parley bot: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
