import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ServerConfig } from '@parley/config';
import type { Logger } from '@parley/logger';
import { Registry } from 'prom-client';
import { createApp } from './app.ts';
import { Assistant } from './assistant/assistant.ts';
import { LazyLlm } from './assistant/lazy-llm.ts';
import type { Llm } from './assistant/llm.ts';
import { Summarizer } from './assistant/summarizer.ts';
import { UnconfiguredLlm } from './assistant/unconfigured-llm.ts';
import { type BackendOverrides, type Backends, createBackends } from './backends.ts';
import { ConversationService } from './conversations/conversation-service.ts';
import type { SessionEvents } from './conversations/session-manager.ts';
import { SessionManager } from './conversations/session-manager.ts';
import { BreakerBoard, modelReadiness } from './observability/breakers.ts';
import { InstrumentedLlm } from './observability/instrumented-llm.ts';
import { InstrumentedToolRunner } from './observability/instrumented-tools.ts';
import { createMetrics, type ParleyMetrics } from './observability/metrics.ts';
import type { ComponentStatus } from './observability/readiness.ts';
import { tracedStore } from './observability/traced-store.ts';
import type { BreakerState } from './providers/resilience.ts';
import { Idempotency } from './rpc/idempotency.ts';
import { createToolRunner } from './tool-setup.ts';
import type { ToolRunner } from './tools/tool-runner.ts';

/** Parts a caller (a test, usually) may supply instead of having them built from the config. */
export interface ParleyOverrides extends BackendOverrides {
  /** Wrapped with the same spans and metrics as the configured model. */
  llm?: Llm;
  /** Wrapped with the same spans and metrics as the built-in tools. */
  tools?: ToolRunner;
  /** Where the metrics are registered (main.ts passes its own); a fresh registry otherwise. */
  registry?: Registry;
}

export interface ParleyServer {
  readonly server: Server;
  /** Starts listening; resolves with the bound address (port 0 picks a free port). */
  listen(): Promise<AddressInfo>;
  /** Stops accepting, lets in-flight requests finish (up to the shutdown timeout), then closes stores. */
  close(): Promise<void>;
}

/** Builds the whole server from a validated config: backends, model, tools, service, HTTP edge. */
export async function createParleyServer(
  config: Readonly<ServerConfig>,
  logger: Logger,
  overrides: ParleyOverrides = {},
): Promise<ParleyServer> {
  const clock = overrides.clock ?? (() => new Date());
  const metrics = createMetrics(overrides.registry ?? new Registry());
  const breakers = new BreakerBoard(metrics, ['model', 'weather', 'holidays']);
  const backends = await createBackends(config, logger, overrides);
  const store = tracedStore(backends.store, config.mongodb ? 'mongodb' : 'sqlite');
  const llm = new InstrumentedLlm({
    llm: overrides.llm ?? createLlm(config, logger, (state) => breakers.set('model', state)),
    defaultModel: config.openai.model,
    metrics,
  });
  const sessionManager = new SessionManager({
    store,
    sessions: backends.sessions,
    ttlSeconds: config.sessionTtlSeconds,
    clock,
    logger,
    events: sessionEvents(metrics),
  });
  const assistant = createAssistant({ config, logger, clock, backends, llm, metrics, breakers, overrides });
  const service = new ConversationService({
    store,
    sessionManager,
    assistant,
    lock: backends.lock,
    generateTitles: config.assistant.generateTitles,
    logger,
  });
  const idempotency = new Idempotency({ store: backends.idempotency, logger });
  const readiness = async (): Promise<Record<string, ComponentStatus>> => ({
    ...(await backends.readiness()),
    model: modelReadiness(llm.configured, breakers.state('model')),
  });
  const app = createApp({
    apiKeys: config.apiKeys,
    service,
    idempotency,
    limits: config.limits,
    logger,
    readiness,
    metrics,
    ...(config.metrics.token ? { metricsToken: config.metrics.token } : {}),
  });
  const server = createServer({ requestTimeout: config.openai.timeoutMs * 3 + 30_000 }, app);

  return {
    server,
    async listen() {
      server.listen(config.port, config.host);
      await once(server, 'listening');
      return server.address() as AddressInfo;
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), config.shutdownTimeoutMs);
      await closed;
      clearTimeout(timer);
      await service.drain();
      await backends.close();
    },
  };
}

interface AssistantParts {
  config: Readonly<ServerConfig>;
  logger: Logger;
  clock: () => Date;
  backends: Backends;
  llm: Llm;
  metrics: ParleyMetrics;
  breakers: BreakerBoard;
  overrides: ParleyOverrides;
}

/** The assistant with its tools; provider breakers and tool caches report into the metrics. */
function createAssistant(parts: AssistantParts): Assistant {
  const { config, logger, clock, backends, llm, metrics, breakers, overrides } = parts;
  const tools =
    overrides.tools ??
    createToolRunner({
      config,
      logger,
      clock,
      ...(backends.redis ? { redis: backends.redis } : {}),
      onBreakerStateChange: (provider, state) => breakers.set(provider, state),
      onCacheResult: (cache, result) => metrics.cacheRequests.inc({ cache, result }),
    });
  return new Assistant({
    llm,
    tools: new InstrumentedToolRunner({ tools, metrics }),
    summarizer: new Summarizer({ llm, logger }),
    systemPrompt: config.systemPrompt,
    ...config.assistant,
    logger,
  });
}

function createLlm(
  config: Readonly<ServerConfig>,
  logger: Logger,
  onBreakerStateChange: (state: BreakerState) => void,
): Llm {
  const { apiKey, baseUrl, model, timeoutMs, maxRetries } = config.openai;
  if (!apiKey && !baseUrl) return new UnconfiguredLlm();
  // The openai SDK loads with the first model call, not at start (see LazyLlm).
  return new LazyLlm(async () => {
    const [{ OpenAiLlm }, { createKeepAliveFetch }] = await Promise.all([
      import('./assistant/openai-llm.ts'),
      import('./providers/keep-alive-fetch.ts'),
    ]);
    return new OpenAiLlm({
      ...(apiKey ? { apiKey } : {}),
      ...(baseUrl ? { baseUrl } : {}),
      model,
      timeoutMs,
      maxRetries,
      logger,
      onBreakerStateChange,
      fetch: createKeepAliveFetch().fetch,
    });
  });
}

function sessionEvents(metrics: ParleyMetrics): SessionEvents {
  return {
    lookup: (source) => metrics.sessionLookups.inc({ source }),
    fallback: () => metrics.sessionStoreFallbacks.inc(),
  };
}
