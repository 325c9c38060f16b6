import { createServer } from 'node:http';
import {
  type ClientPolicy,
  loadPolicyConfig,
  type McpServerConfig,
  type PolicyConfig,
  type ServerConfig,
} from '@parley/config';
import type { Logger } from '@parley/logger';
import { Registry } from 'prom-client';
import { type AppDeps, createApp } from './app.ts';
import type { Llm } from './assistant/llm.ts';
import { createAssistant, createLlm } from './assistant-setup.ts';
import { createAttachmentIntake, turnBodyBytes } from './attachment-setup.ts';
import { type BackendOverrides, type Backends, createBackends } from './backends.ts';
import { ConversationService } from './conversations/conversation-service.ts';
import { HistoryTurns } from './conversations/history-turns.ts';
import { LinkedConversationStore } from './conversations/linked-conversation-store.ts';
import type { SessionEvents } from './conversations/session-manager.ts';
import { SessionManager } from './conversations/session-manager.ts';
import { ClusterTurnRelay, type RelayChannel } from './coordination/cluster-turn-relay.ts';
import { RedisTurnRelay } from './coordination/redis-turn-relay.ts';
import { createMcpSetup, type McpSetup, type McpSetupDeps } from './mcp-setup.ts';
import { BreakerBoard, modelReadiness } from './observability/breakers.ts';
import { InstrumentedLlm } from './observability/instrumented-llm.ts';
import { InstrumentedToolRunner } from './observability/instrumented-tools.ts';
import { createMetrics, type ParleyMetrics } from './observability/metrics.ts';
import type { ComponentStatus } from './observability/readiness.ts';
import { tracedStore } from './observability/traced-store.ts';
import { ModelCatalog } from './openai-api/models.ts';
import type { IdentityStore } from './people/identity-store.ts';
import { createPeople } from './people-setup.ts';
import type { UsageLedger } from './policy/usage-ledger.ts';
import { createPolicy } from './policy-setup.ts';
import { type ParleyServer, serverLifecycle } from './server-lifecycle.ts';
import { createToolRunner } from './tool-setup.ts';
import type { ToolRunner } from './tools/tool-runner.ts';
import { Idempotency } from './turns/idempotency.ts';
import { TurnEngine, type TurnEngineDeps } from './turns/turn-engine.ts';

/**
 * What a caller supplies beside the config: parts a test may put instead of those built from the config,
 * and what main.ts loads besides (MCP servers, client policies).
 */
export interface ParleyOverrides extends BackendOverrides {
  /** Wrapped with the same spans and metrics as the configured model. */
  llm?: Llm;
  /** Wrapped with the same spans and metrics as the built-in tools. */
  tools?: ToolRunner;
  /** Where the metrics are registered (main.ts passes its own); a fresh registry otherwise. */
  registry?: Registry;
  /**
   * Every client's policy (main.ts loads it from the environment and POLICY_FILE before a keyless
   * server's local key exists); otherwise the built-in defaults for the configured keys.
   */
  policy?: Readonly<PolicyConfig>;
  /** A usage ledger instead of the configured one. */
  ledger?: UsageLedger;
  /** An identity store instead of the configured one. */
  identities?: IdentityStore;
  /** MCP servers whose tools the assistant may use (MCP_CONFIG / MCP_SERVERS). */
  mcpServers?: readonly McpServerConfig[];
  /** Client policies by client name for MCP tool access, when they differ from `policy` (tests). */
  policies?: Readonly<Record<string, ClientPolicy>>;
  /** MCP connection tuning (tests shorten the reconnect backoff). */
  mcpOptions?: McpSetupDeps['options'];
  /**
   * This process is one worker of several (WORKERS > 1); see AppDeps.pool. Without Redis, turns are
   * followed across the workers through `channel`, the IPC channel to the pool's primary.
   */
  pool?: NonNullable<AppDeps['pool']> & { channel: RelayChannel };
  /** Streaming and turn tuning (tests shorten it). */
  turns?: Pick<TurnEngineDeps, 'graceMs'> & { waitMs?: number } & AppDeps['streams'];
}

/** Builds the whole server from a validated config: backends, model, tools, service, HTTP edge. */
export async function createParleyServer(
  config: Readonly<ServerConfig>,
  logger: Logger,
  overrides: ParleyOverrides = {},
): Promise<ParleyServer> {
  const clock = overrides.clock ?? (() => new Date());
  const registry = overrides.registry ?? new Registry();
  const metrics = createMetrics(registry);
  const breakers = new BreakerBoard(metrics, ['model', 'weather', 'holidays']);
  const backends = await createBackends(config, logger, overrides);
  // A linked person reaches the conversations of each of their identities (see people/).
  const store = new LinkedConversationStore(
    tracedStore(backends.store, config.mongodb ? 'mongodb' : 'sqlite'),
  );
  const shared = {
    ...(backends.redis ? { redis: backends.redis } : {}),
    ...(backends.sharedRateLimits ? { sharedRateLimits: backends.sharedRateLimits } : {}),
  };
  const people = await createPeople({
    config,
    logger,
    clock,
    ...shared,
    ...(overrides.identities ? { store: overrides.identities } : {}),
  });
  const policyConfig =
    overrides.policy ??
    loadPolicyConfig({}, { clients: config.apiKeys.map((k) => k.client), defaultModel: config.openai.model });
  const policy = await createPolicy({
    config,
    policy: policyConfig,
    logger,
    clock,
    registry,
    ...shared,
    ...(overrides.ledger ? { ledger: overrides.ledger } : {}),
    people: people.people,
  });
  const llm = policy.metered(
    new InstrumentedLlm({
      llm: overrides.llm ?? createLlm(config, logger, (state) => breakers.set('model', state)),
      defaultModel: config.openai.model,
      metrics,
    }),
  );
  const sessionManager = new SessionManager({
    store,
    sessions: backends.sessions,
    ttlSeconds: config.sessionTtlSeconds,
    clock,
    logger,
    events: sessionEvents(metrics),
  });
  const mcp = await createMcpSetup({
    servers: overrides.mcpServers ?? [],
    logger,
    defaultTimeoutMs: config.tools.timeoutMs,
    registry: metrics.registry,
    policies: overrides.policies ?? policyConfig.clients,
    options: overrides.mcpOptions,
  });
  const tools = createTools({ config, logger, clock, backends, metrics, breakers, overrides, mcp });
  const assistant = createAssistant({ config, logger, llm, tools });
  const intake = createAttachmentIntake(config, logger, policy.meteredTranscriber);
  const service = new ConversationService({
    store,
    sessionManager,
    assistant,
    lock: backends.lock,
    generateTitles: config.assistant.generateTitles,
    people: people.people,
    intake,
    logger,
  });
  const tuning = overrides.turns ?? {};
  const { idempotency, relay, engine } = createTurnEngine({ config, backends, logger, metrics, overrides });
  const readiness = async (): Promise<Record<string, ComponentStatus>> => ({
    ...(await backends.readiness()),
    model: modelReadiness(llm.configured, breakers.state('model')),
    ledger: await policy.readiness(),
    people: await people.readiness(),
    ...mcp.readiness(),
  });
  const app = createApp({
    apiKeys: config.apiKeys,
    service,
    idempotency,
    engine,
    gate: policy.gate,
    usage: policy.usage,
    admin: policy.admin,
    identity: people.identity,
    streams: withoutUndefined({
      keepAliveMs: tuning.keepAliveMs,
      maxBufferedBytes: tuning.maxBufferedBytes,
      flushMs: tuning.flushMs ?? config.streamFlushMs,
    }),
    limits: { ...config.limits, maxTurnBodyBytes: turnBodyBytes(config, policyConfig) },
    logger,
    readiness,
    metrics,
    tools,
    openai: {
      history: new HistoryTurns({ store, assistant, lock: backends.lock, intake, logger }),
      models: new ModelCatalog(policyConfig, clock()),
    },
    ...(config.metrics.token ? { metricsToken: config.metrics.token } : {}),
    ...(overrides.pool ? { pool: { worker: overrides.pool.worker, metrics: overrides.pool.metrics } } : {}),
  });
  // Above the turn's own deadline: the turn answers deadline_exceeded before Node would cut the socket.
  const server = createServer({ requestTimeout: config.turnTimeoutMs + 30_000 }, app);
  mcp.start();

  return serverLifecycle({
    server,
    config,
    pooled: overrides.pool !== undefined,
    engine,
    async release() {
      relay?.close();
      await service.drain();
      await Promise.allSettled([policy.close(), mcp.close(), people.close()]);
      await backends.close();
    },
  });
}

/** The turn engine with its idempotency records and, across processes, its relay. */
function createTurnEngine(parts: {
  config: Readonly<ServerConfig>;
  backends: Backends;
  logger: Logger;
  metrics: ParleyMetrics;
  overrides: ParleyOverrides;
}) {
  const { config, backends, logger, metrics, overrides } = parts;
  const tuning = overrides.turns ?? {};
  const idempotency = new Idempotency({
    store: backends.idempotency,
    ...withoutUndefined({ waitMs: tuning.waitMs }),
  });
  const relay = turnRelay(config, backends, logger, overrides.pool);
  const engine = new TurnEngine({
    idempotency,
    ...(relay ? { relay } : {}),
    logger,
    turnTimeoutMs: config.turnTimeoutMs,
    ...withoutUndefined({ graceMs: tuning.graceMs }),
    events: {
      firstToken: (seconds) => metrics.turnFirstToken.observe(seconds),
      disconnect: (transport) => metrics.turnDisconnects.inc({ transport }),
    },
  });
  return { idempotency, relay, engine };
}

/**
 * What carries running turns to re-attaching requests in other processes: Redis Streams where Redis is
 * configured, else the pool's primary when this process is one of several workers; none for one process.
 * Either one is closed at shutdown.
 */
function turnRelay(
  config: Readonly<ServerConfig>,
  backends: Backends,
  logger: Logger,
  pool: ParleyOverrides['pool'],
): RedisTurnRelay | ClusterTurnRelay | undefined {
  if (backends.redis) {
    return new RedisTurnRelay({ redis: backends.redis, logger, keyPrefix: config.redis?.keyPrefix ?? '' });
  }
  return pool ? new ClusterTurnRelay({ channel: pool.channel, logger }) : undefined;
}

interface ToolParts {
  config: Readonly<ServerConfig>;
  logger: Logger;
  clock: () => Date;
  backends: Backends;
  metrics: ParleyMetrics;
  breakers: BreakerBoard;
  overrides: ParleyOverrides;
  mcp: McpSetup;
}

/** Built-in and MCP tools, instrumented; provider breakers and tool caches report into the metrics. */
function createTools(parts: ToolParts): ToolRunner {
  const { config, logger, clock, backends, metrics, breakers, overrides, mcp } = parts;
  const tools =
    overrides.tools ??
    createToolRunner({
      config,
      logger,
      clock,
      ...(backends.redis ? { redis: backends.redis } : {}),
      onBreakerStateChange: (provider, state) => breakers.set(provider, state),
      onCacheResult: (cache, result) => metrics.cacheRequests.inc({ cache, result }),
      external: mcp.external,
      access: mcp.access,
    });
  return new InstrumentedToolRunner({ tools, metrics });
}

function sessionEvents(metrics: ParleyMetrics): SessionEvents {
  return {
    lookup: (source) => metrics.sessionLookups.inc({ source }),
    fallback: () => metrics.sessionStoreFallbacks.inc(),
  };
}

function withoutUndefined<T extends object>(value: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]: Exclude<T[K], undefined>;
  };
}
