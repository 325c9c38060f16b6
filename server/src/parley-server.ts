import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ServerConfig } from '@parley/config';
import type { Logger } from '@parley/logger';
import { type ComponentStatus, createApp } from './app.ts';
import { Assistant } from './assistant/assistant.ts';
import type { Llm } from './assistant/llm.ts';
import { OpenAiLlm, UnconfiguredLlm } from './assistant/openai-llm.ts';
import { Summarizer } from './assistant/summarizer.ts';
import type { ToolRunner } from './assistant/tool-runner.ts';
import { type BackendOverrides, createBackends } from './backends.ts';
import { ConversationService } from './conversations/conversation-service.ts';
import { Idempotency } from './rpc/idempotency.ts';
import { SessionManager } from './sessions/session-manager.ts';
import { createToolRunner } from './tools/tool-setup.ts';

/** Parts a caller (a test, usually) may supply instead of having them built from the config. */
export interface ParleyOverrides extends BackendOverrides {
  llm?: Llm;
  tools?: ToolRunner;
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
  const backends = await createBackends(config, logger, overrides);
  const llm = overrides.llm ?? createLlm(config, logger);
  const sessions = new SessionManager({
    store: backends.store,
    sessions: backends.sessions,
    ttlSeconds: config.sessionTtlSeconds,
    clock,
    logger,
  });
  const assistant = new Assistant({
    llm,
    tools:
      overrides.tools ??
      createToolRunner({ config, logger, clock, ...(backends.redis ? { redis: backends.redis } : {}) }),
    summarizer: new Summarizer({ llm, logger }),
    systemPrompt: config.systemPrompt,
    ...config.assistant,
    logger,
  });
  const service = new ConversationService({
    store: backends.store,
    sessions,
    assistant,
    lock: backends.lock,
    generateTitles: config.assistant.generateTitles,
    logger,
  });
  const idempotency = new Idempotency({ store: backends.idempotency, logger });
  const readiness = async (): Promise<Record<string, ComponentStatus>> => ({
    ...(await backends.readiness()),
    model: llm.configured
      ? { ok: true }
      : { ok: false, detail: 'no model configured (OPENAI_API_KEY / OPENAI_BASE_URL)' },
  });
  const app = createApp({
    apiKeys: config.apiKeys,
    service,
    idempotency,
    limits: config.limits,
    logger,
    readiness,
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

function createLlm(config: Readonly<ServerConfig>, logger: Logger): Llm {
  const { apiKey, baseUrl, model, timeoutMs, maxRetries } = config.openai;
  if (!apiKey && !baseUrl) return new UnconfiguredLlm();
  return new OpenAiLlm({
    ...(apiKey ? { apiKey } : {}),
    ...(baseUrl ? { baseUrl } : {}),
    model,
    timeoutMs,
    maxRetries,
    logger,
  });
}
