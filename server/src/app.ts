import type { IncomingMessage, ServerResponse } from 'node:http';
import { context as otelContext } from '@opentelemetry/api';
import type { ApiKeyEntry } from '@parley/config';
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
import { type TwirpContext, type TwirpError, TwirpErrorCode, type TwirpServer } from 'twirp-ts';
import type { ConversationService } from './conversations/conversation-service.ts';
import type { ParleyMetrics } from './observability/metrics.ts';
import type { ComponentStatus, Readiness } from './observability/readiness.ts';
import { finalCode, RpcTelemetry } from './observability/rpc-telemetry.ts';
import {
  createOpenAiApi,
  OPENAI_METHODS,
  type OpenAiApiDeps,
  openAiMethodOf,
} from './openai-api/openai-api.ts';
import { createChatService, type ToolCatalog } from './rpc/chat-service.ts';
import {
  BodyTooLargeError,
  createAuthenticator,
  normalizeContentType,
  readBody,
  refuseBody,
  requestIdOf,
  sendTwirpError,
} from './rpc/edge.ts';
import { FlushClock } from './rpc/flush-clock.ts';
import { type RequestContext, requestContext, setRequestContext } from './rpc/request-context.ts';
import { createSseHandler, SSE_METHODS, type SseMethod, sseMethodOf } from './rpc/sse-routes.ts';
import { createJsonTurnHandler, jsonTurnMethodOf } from './rpc/unary-turns.ts';
import type { Idempotency } from './turns/idempotency.ts';
import type { TurnEngine } from './turns/turn-engine.ts';
import type { TurnGate } from './turns/turn-gate.ts';

export interface AppDeps {
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
   * and the window text after the first gathers in before it is written (50 ms).
   */
  streams?: { keepAliveMs?: number; maxBufferedBytes?: number; flushMs?: number };
  logger: Logger;
  readiness: Readiness;
  metrics: ParleyMetrics;
  /** The tool registry, for ListTools. */
  tools: ToolCatalog;
  /** The OpenAI-compatible front door's own parts: turns over a caller-held history, the model list. */
  openai: Pick<OpenAiApiDeps, 'history' | 'models'>;
  /** When set, `/metrics` asks for `Authorization: Bearer <token>`; otherwise it is open. */
  metricsToken?: string;
  /**
   * One of several server processes (WORKERS > 1): `/health` names the worker that answered, and
   * `/metrics` serves the whole pool's metrics from `metrics()` (aggregated by the primary).
   */
  pool?: { worker: number; metrics(): Promise<string> };
}

export type App = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * The HTTP edge in front of twirp-ts: request id, the RPC's server span and metrics, bearer auth, content
 * type, a bounded body read, panic recovery and the access log; then Twirp routing. Also `/health`,
 * `/ready` and `/metrics`.
 */
export function createApp(deps: AppDeps): App {
  const authenticate = createAuthenticator(deps.apiKeys);
  const metricsAuth = deps.metricsToken
    ? createAuthenticator([{ client: 'metrics', key: deps.metricsToken }])
    : undefined;
  const { service, idempotency, engine, gate, limits } = deps;
  const chat = createChatService({ service, idempotency, engine, gate, limits, tools: deps.tools });
  const streams = {
    keepAliveMs: deps.streams?.keepAliveMs ?? 15_000,
    maxBufferedBytes: deps.streams?.maxBufferedBytes ?? 1024 * 1024,
    clock: new FlushClock(deps.streams?.flushMs ?? 50),
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
      if (path === '/health' && req.method === 'GET') {
        return sendJson(res, 200, deps.pool ? { status: 'ok', worker: deps.pool.worker } : { status: 'ok' });
      }
      if (path === '/ready' && req.method === 'GET') return sendReady(res, await deps.readiness());
      if (path === '/metrics' && req.method === 'GET') return sendMetrics(req, res);
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

  async function sendMetrics(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (metricsAuth && !metricsAuth(req.headers.authorization)) {
      res.setHeader('www-authenticate', 'Bearer');
      return sendJson(res, 401, {
        error: 'a valid metrics token is required (Authorization: Bearer <token>)',
      });
    }
    let body: string;
    const { pool } = deps;
    try {
      body = await (pool ? pool.metrics() : deps.metrics.registry.metrics());
    } catch (err) {
      // One worker's numbers alone would look like the pool's counters dropping: no answer instead.
      deps.logger.warn({ err }, 'could not gather the worker pool’s metrics');
      return sendJson(res, 503, { error: 'metrics are unavailable right now' });
    }
    res.statusCode = 200;
    res.setHeader('content-type', deps.metrics.registry.contentType);
    res.end(body);
  }

  async function handleRpc(
    req: IncomingMessage,
    res: ServerResponse,
    context: RequestContext,
    service: MountedService,
    sse: SseMethod | null | undefined,
  ): Promise<void> {
    if (sse === null || (sse && req.method !== 'POST')) {
      context.code = 'bad_route';
      req.resume();
      return sendTwirpError(
        res,
        TwirpErrorCode.BadRoute,
        'no such streaming method (POST /sse/<service>/<method>)',
      );
    }
    const contentType = normalizeContentType(req.headers['content-type']);
    if (req.method === 'POST' && contentType === null && !sse) {
      // Twirp v7: a request whose Content-Type is missing or not Twirp's is not routable (bad_route, 404).
      context.code = 'bad_route';
      req.resume();
      return sendTwirpError(
        res,
        TwirpErrorCode.BadRoute,
        'unsupported Content-Type: use application/json or application/protobuf',
      );
    }
    if (sse && contentType !== 'application/json') {
      context.code = 'malformed';
      req.resume();
      return sendTwirpError(
        res,
        TwirpErrorCode.Malformed,
        'unsupported Content-Type: streaming routes take application/json',
        415,
      );
    }
    if (contentType) req.headers['content-type'] = contentType;
    let body: Buffer;
    try {
      body = await readBody(req, bodyLimit(req.url ?? '', deps.limits));
    } catch (err) {
      if (!(err instanceof BodyTooLargeError)) throw err;
      context.code = 'malformed';
      return refuseBody(req, res, err.limit);
    }
    if (sse) return serveSse(res, context, sse, body);
    const jsonTurn = contentType === 'application/json' && req.method === 'POST' && jsonTurnMethodOf(req.url);
    if (jsonTurn) return serveJsonTurn(res, context, jsonTurn, body);
    (req as IncomingMessage & { rawBody?: Buffer }).rawBody = body;
    await service.handle(req, res);
  }
}

const TURN_ROUTES = /\/parley\.chat\.v1\.ChatService\/(StartConversation|ContinueConversation)$/;

/** Turn-taking calls may carry files (base64 in JSON); every other call keeps the small limit. */
function bodyLimit(url: string, limits: AppDeps['limits']): number {
  const path = url.split('?')[0] ?? '';
  return TURN_ROUTES.test(path) ? (limits.maxTurnBodyBytes ?? limits.maxBodyBytes) : limits.maxBodyBytes;
}

interface MountedService {
  /** The full name, `parley.chat.v1.ChatService`. */
  name: string;
  handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  telemetry: RpcTelemetry;
}

/**
 * One Twirp service with its telemetry (an unknown service path falls to the chat service, whose router
 * answers bad_route). Errors twirp-ts raises itself are recorded for the access log, and a decoder's
 * text never reaches the client (its `meta.cause`).
 */
function mountService<T extends object>(
  metrics: ParleyMetrics,
  twirp: TwirpServer<T, TwirpContext>,
  extraMethods: readonly string[] = [],
): MountedService {
  twirp.use({
    error: (ctx, err) => {
      const context = requestContext(ctx.req);
      if (err.code === TwirpErrorCode.Malformed) hideCause(err, context);
      context.code = err.code;
    },
  });
  const name = `${twirp.packageName}.${twirp.serviceName}`;
  const methods = [...twirp.methodList.map(String), ...extraMethods];
  const telemetry = new RpcTelemetry({ metrics, service: name, methods });
  return { name, handle: twirp.httpHandler(), telemetry };
}

function hideCause(err: TwirpError, context: RequestContext): void {
  const cause = err.meta.cause;
  if (cause === undefined) return;
  context.logger.debug({ cause }, 'request body could not be decoded');
  delete err.meta.cause;
}

function logAccess(context: RequestContext, code: string, status: number, started: number): void {
  const durationMs = Math.round((performance.now() - started) * 10) / 10;
  const level = code === 'internal' ? 'error' : 'info';
  context.logger[level]({ method: context.method, code, status, durationMs }, 'rpc');
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(body));
}

function sendReady(res: ServerResponse, components: Record<string, ComponentStatus>): void {
  const ready = Object.values(components).every((c) => c.ok || c.optional);
  sendJson(res, ready ? 200 : 503, { status: ready ? 'ready' : 'not ready', components });
}
