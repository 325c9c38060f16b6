import type { IncomingMessage, ServerResponse } from 'node:http';
import { context as otelContext } from '@opentelemetry/api';
import { type ApiKeyEntry, DEFAULT_STREAM_FLUSH_MS } from '@parley/config';
import type { Logger } from '@parley/logger';
import {
  type AdminServiceTwirp,
  createAdminServiceServer,
  createChatServiceServer,
  createIdentityServiceServer,
  createUsageServiceServer,
  type IdentityServiceTwirp,
  type UsageServiceTwirp,
} from '@parley/rpc';
import { TwirpErrorCode } from 'twirp-ts';
import type { ConversationService } from './conversations/conversation-service.ts';
import { finalCode, RpcTelemetry } from './observability/rpc-telemetry.ts';
import {
  createOpenAiApi,
  OPENAI_METHODS,
  type OpenAiApiDeps,
  openAiMethodOf,
} from './openai-api/openai-api.ts';
import { createChatService, type ToolCatalog } from './rpc/chat-service.ts';
import { createAuthenticator, requestIdOf, sendTwirpError } from './rpc/edge.ts';
import { FlushClock } from './rpc/flush-clock.ts';
import { type MountedService, mountService } from './rpc/mounted-service.ts';
import { createOpsEndpoints, type OpsEndpointsDeps, sendJson } from './rpc/ops-endpoints.ts';
import { type RequestContext, setRequestContext } from './rpc/request-context.ts';
import { createRpcHandler } from './rpc/rpc-handler.ts';
import { createSseHandler, SSE_METHODS, type SseMethod, sseMethodOf } from './rpc/sse-routes.ts';
import { createJsonTurnHandler } from './rpc/unary-turns.ts';
import type { Idempotency } from './turns/idempotency.ts';
import type { TurnEngine } from './turns/turn-engine.ts';
import type { TurnGate } from './turns/turn-gate.ts';

/** With the ops endpoints' own deps: readiness, metrics (and their token), the worker pool, logger. */
export interface AppDeps extends OpsEndpointsDeps {
  apiKeys: ApiKeyEntry[];
  service: ConversationService;
  idempotency: Idempotency;
  /** Client policy and charging around every turn. */
  gate: TurnGate;
  usage: UsageServiceTwirp;
  admin: AdminServiceTwirp;
  /** Linking a person's identities across clients, and their language. */
  identity: IdentityServiceTwirp;
  /** The turn engine behind StartConversation and ContinueConversation, unary and streaming. */
  engine: TurnEngine;
  /** `maxTurnBodyBytes`: the body limit of the turn-taking calls, whose files make them larger. */
  limits: { maxBodyBytes: number; maxMessageChars: number; maxTurnBodyBytes?: number };
  /**
   * Streams: keep-alive comment interval (default 15 s), the send buffer a slow reader may fill (1 MiB),
   * and the window text after the first gathers in before it is written (STREAM_FLUSH_MS, 25 ms).
   */
  streams?: { keepAliveMs?: number; maxBufferedBytes?: number; flushMs?: number };
  /** The tool registry, for ListTools. */
  tools: ToolCatalog;
  /** The OpenAI-compatible front door's own parts: turns over a caller-held history, the model list. */
  openai: Pick<OpenAiApiDeps, 'history' | 'models'>;
}

export type App = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * The HTTP edge in front of twirp-ts: request id, the RPC's server span and metrics, bearer auth, content
 * type, a bounded body read, panic recovery and the access log; then Twirp routing. Also `/health`,
 * `/ready` and `/metrics`.
 */
export function createApp(deps: AppDeps): App {
  const authenticate = createAuthenticator(deps.apiKeys);
  const ops = createOpsEndpoints(deps);
  const { service, idempotency, engine, gate, limits } = deps;
  const chat = createChatService({ service, idempotency, engine, gate, limits, tools: deps.tools });
  const streams = {
    keepAliveMs: deps.streams?.keepAliveMs ?? 15_000,
    maxBufferedBytes: deps.streams?.maxBufferedBytes ?? 1024 * 1024,
    clock: new FlushClock(deps.streams?.flushMs ?? DEFAULT_STREAM_FLUSH_MS),
    onStreamsOpen: (delta: number) => deps.metrics.streamsOpen.inc(delta),
  };
  const serveJsonTurn = createJsonTurnHandler({ service, engine, gate, limits });
  const serveSse = createSseHandler({
    service,
    engine,
    gate,
    limits,
    ...streams,
  });
  const handleRpc = createRpcHandler({ limits, serveSse, serveJsonTurn });
  const serveOpenAi = createOpenAiApi({
    ...deps.openai,
    engine,
    gate,
    authenticate,
    maxBodyBytes: limits.maxBodyBytes,
    maxTurnBodyBytes: limits.maxTurnBodyBytes ?? limits.maxBodyBytes,
    maxMessageChars: limits.maxMessageChars,
    ...streams,
  });
  const openAiTelemetry = new RpcTelemetry({
    metrics: deps.metrics,
    service: 'openai.v1',
    methods: OPENAI_METHODS,
  });
  // The SSE routes are the chat service's streaming forms: same telemetry, methods named Stream<Method>.
  const chatService = mountService(
    deps.metrics,
    createChatServiceServer(chat),
    SSE_METHODS.map((m) => `Stream${m}`),
  );
  const services = new Map<string, MountedService>();
  for (const mounted of [
    chatService,
    mountService(deps.metrics, createUsageServiceServer(deps.usage)),
    mountService(deps.metrics, createAdminServiceServer(deps.admin)),
    mountService(deps.metrics, createIdentityServiceServer(deps.identity)),
  ])
    services.set(mounted.name, mounted);

  return (req, res) => {
    const requestId = requestIdOf(req);
    res.setHeader('x-request-id', requestId);
    // The request's logger is made when first used: an authenticated call gets one child logger with
    // both bindings (a child of a child costs pino twice as much again; ~5 µs a request).
    let logger: Logger | undefined;
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const service = services.get(path.split('/')[2] ?? '') ?? chatService;
    const gone = new AbortController();
    // 'close' before the response finished: the client went away (the turn it waits on may stop).
    res.once('close', () => {
      if (!res.writableFinished) gone.abort();
    });
    const context: RequestContext = {
      requestId,
      clientId: '',
      get logger() {
        logger ??= deps.logger.child({ requestId });
        return logger;
      },
      set logger(value) {
        logger = value;
      },
      method: service.telemetry.methodOf(path),
      signal: gone.signal,
    };
    const handle = async () => {
      const op = req.method === 'GET' ? ops.get(path) : undefined;
      if (op) return op(req, res);
      if (path.startsWith('/v1/')) {
        context.method = openAiMethodOf(req.method, path);
        return withTelemetry(req, res, context, openAiTelemetry, () => serveOpenAi(req, res, context));
      }
      if (path.startsWith('/sse/')) {
        const sse = sseMethodOf(path, chatService.name);
        context.method = sse ? `Stream${sse}` : 'unknown';
        return handleRpcPath(req, res, context, chatService, sse ?? null);
      }
      if (!path.startsWith('/twirp/')) return sendJson(res, 404, { error: 'not found' });
      await handleRpcPath(req, res, context, service, undefined);
    };
    handle().catch((err: unknown) => {
      context.logger.error({ err }, 'request failed');
      context.code = TwirpErrorCode.Internal;
      sendTwirpError(res, TwirpErrorCode.Internal, 'internal error');
    });
  };

  /**
   * Runs one RPC inside its server span; metrics, span end and the access log follow the response.
   * `sse`: undefined for a Twirp route, the streaming method for an SSE route (null when it names none).
   */
  async function handleRpcPath(
    req: IncomingMessage,
    res: ServerResponse,
    context: RequestContext,
    service: MountedService,
    sse: SseMethod | null | undefined,
  ) {
    setRequestContext(req, context);
    await withTelemetry(req, res, context, service.telemetry, () =>
      handleAuthenticated(req, res, context, service, sse),
    );
  }

  /** Runs one call inside its server span; metrics, span end and the access log follow the response. */
  async function withTelemetry(
    req: IncomingMessage,
    res: ServerResponse,
    context: RequestContext,
    telemetry: RpcTelemetry,
    serve: () => Promise<void>,
  ) {
    const call = telemetry.start(req, context.method ?? 'unknown');
    const started = performance.now();
    // Bound to the RPC's context so the access log line carries its trace id; 'close' also fires
    // when the caller goes away before the response is complete.
    res.once(
      'close',
      otelContext.bind(call.context, () => {
        const code = finalCode(context.code, res);
        logAccess(context, code, res.statusCode, started);
        call.finish(code, res.statusCode);
      }),
    );
    await otelContext.with(call.context, serve);
  }

  async function handleAuthenticated(
    req: IncomingMessage,
    res: ServerResponse,
    context: RequestContext,
    service: MountedService,
    sse: SseMethod | null | undefined,
  ): Promise<void> {
    const clientId = authenticate(req.headers.authorization);
    if (!clientId) {
      context.code = 'unauthenticated';
      return sendTwirpError(
        res,
        TwirpErrorCode.Unauthenticated,
        'a valid API key is required (Authorization: Bearer <key>)',
      );
    }
    context.clientId = clientId;
    context.logger = deps.logger.child({ requestId: context.requestId, client: clientId });
    await handleRpc(req, res, context, service, sse);
  }
}

function logAccess(context: RequestContext, code: string, status: number, started: number): void {
  const durationMs = Math.round((performance.now() - started) * 10) / 10;
  const level = code === 'internal' ? 'error' : 'info';
  context.logger[level]({ method: context.method, code, status, durationMs }, 'rpc');
}
