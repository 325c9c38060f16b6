import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { ServerConfig } from '@parley/config';
import type { Logger } from '@parley/logger';
import { type ComponentStatus, createApp } from './app.ts';
import { Assistant } from './assistant/assistant.ts';
import type { Llm } from './assistant/llm.ts';
import { OpenAiLlm, UnconfiguredLlm } from './assistant/openai-llm.ts';
import { Summarizer } from './assistant/summarizer.ts';
import { noTools } from './assistant/tool-runner.ts';
import { ConversationService } from './conversations/conversation-service.ts';
import type { ConversationStore } from './conversations/conversation-store.ts';
import { EmbeddedConversationStore } from './conversations/embedded-conversation-store.ts';
import { type ConversationLock, LocalLock } from './coordination/conversation-lock.ts';
import type { IdempotencyStore } from './coordination/idempotency-store.ts';
import { MemoryIdempotencyStore } from './coordination/memory-idempotency-store.ts';
import { Idempotency } from './rpc/idempotency.ts';
import { MemorySessionStore } from './sessions/memory-session-store.ts';
import { SessionManager } from './sessions/session-manager.ts';
import type { SessionStore } from './sessions/session-store.ts';

/** Parts a caller (a test, usually) may supply instead of having them built from the config. */
export interface ParleyOverrides {
  llm?: Llm;
  store?: ConversationStore;
  sessions?: SessionStore;
  lock?: ConversationLock;
  idempotency?: IdempotencyStore;
  clock?: () => Date;
}

export interface ParleyServer {
  readonly server: Server;
  /** Starts listening; resolves with the bound address (port 0 picks a free port). */
  listen(): Promise<AddressInfo>;
  /** Stops accepting, lets in-flight requests finish (up to the shutdown timeout), then closes stores. */
  close(): Promise<void>;
}

/** Builds the whole server from a validated config: stores, model, service, HTTP edge. */
export function createParleyServer(
  config: Readonly<ServerConfig>,
  logger: Logger,
  overrides: ParleyOverrides = {},
): ParleyServer {
  const clock = overrides.clock ?? (() => new Date());
  const store =
    overrides.store ?? new EmbeddedConversationStore({ path: join(config.dataDir, 'parley.db'), clock });
  const sessionStore = overrides.sessions ?? new MemorySessionStore();
  const llm = overrides.llm ?? createLlm(config, logger);
  const sessions = new SessionManager({
    store,
    sessions: sessionStore,
    ttlSeconds: config.sessionTtlSeconds,
    clock,
    logger,
  });
  const assistant = new Assistant({
    llm,
    tools: noTools,
    summarizer: new Summarizer({ llm, logger }),
    systemPrompt: config.systemPrompt,
    ...config.assistant,
    logger,
  });
  const lock = overrides.lock ?? new LocalLock();
  const service = new ConversationService({
    store,
    sessions,
    assistant,
    lock,
    generateTitles: config.assistant.generateTitles,
    logger,
  });
  const idempotency = new Idempotency({
    store: overrides.idempotency ?? new MemoryIdempotencyStore(),
    logger,
  });
  const readiness = async (): Promise<Record<string, ComponentStatus>> => ({
    store: await check(() => store.ping()),
    sessions: await check(() => sessionStore.ping()),
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
      await Promise.allSettled([store.close(), sessionStore.close()]);
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

async function check(probe: () => Promise<void>): Promise<ComponentStatus> {
  try {
    await probe();
    return { ok: true };
  } catch (err) {
    return { ok: false, detail: err instanceof Error ? err.name : 'failed' };
  }
}
