import type { IncomingMessage, ServerResponse } from 'node:http';
import { context as otelContext } from '@opentelemetry/api';
import type { ApiKeyEntry } from '@parley/config';
import type { Logger } from '@parley/logger';
import { createChatServiceServer } from '@parley/rpc';
import { TwirpErrorCode } from 'twirp-ts';
import type { ConversationService } from './conversations/conversation-service.ts';
import type { ParleyMetrics } from './observability/metrics.ts';
import type { ComponentStatus, Readiness } from './observability/readiness.ts';
import { finalCode, RpcTelemetry } from './observability/rpc-telemetry.ts';
import { createChatService } from './rpc/chat-service.ts';
import {
  BodyTooLargeError,
  createAuthenticator,
  normalizeContentType,
  readBody,
  refuseBody,
  requestIdOf,
  sendTwirpError,
} from './rpc/edge.ts';
import type { Idempotency } from './rpc/idempotency.ts';
import { type RequestContext, requestContext, setRequestContext } from './rpc/request-context.ts';
import { createSseHandler, type SseMethod, sseMethodOf } from './rpc/sse-routes.ts';
import type { TurnHub } from './rpc/turn-hub.ts';

export interface AppDeps {
  apiKeys: ApiKeyEntry[];
  service: ConversationService;
  idempotency: Idempotency;
  /** The turn engine behind StartConversation and ContinueConversation, unary and streaming. */
  turns: TurnHub;
  limits: { maxBodyBytes: number; maxMessageChars: number };
  /** Streams: keep-alive comment interval (default 15 s) and the send buffer a slow reader may fill (1 MiB). */
  streams?: { keepAliveMs?: number; maxBufferedBytes?: number };
  logger: Logger;
  readiness: Readiness;
  metrics: ParleyMetrics;
  /** When set, `/metrics` asks for `Authorization: Bearer <token>`; otherwise it is open. */
  metricsToken?: string;
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
  const { service, idempotency, turns, limits } = deps;
  const twirp = createChatServiceServer(createChatService({ service, idempotency, turns, limits }));
  const serveSse = createSseHandler({
    service,
    turns,
    limits,
    keepAliveMs: deps.streams?.keepAliveMs ?? 15_000,
    maxBufferedBytes: deps.streams?.maxBufferedBytes ?? 1024 * 1024,
    onStreamsOpen: (delta) => deps.metrics.streamsOpen.inc(delta),
  });
  twirp.use({
    error: (ctx, err) => {
      requestContext(ctx.req).code = err.code;
    },
  });
  const handleTwirp = twirp.httpHandler();
  const serviceName = `${twirp.packageName}.${twirp.serviceName}`;
  const telemetry = new RpcTelemetry({
    metrics: deps.metrics,
    service: serviceName,
    methods: twirp.methodList.map(String),
  });

  return (req, res) => {
    const requestId = requestIdOf(req);
    res.setHeader('x-request-id', requestId);
    const logger = deps.logger.child({ requestId });
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const gone = new AbortController();
    // 'close' before the response finished: the client went away (the turn it waits on may stop).
    res.once('close', () => {
      if (!res.writableFinished) gone.abort();
    });
    const method = telemetry.methodOf(path);
    const context: RequestContext = { requestId, clientId: '', logger, method, signal: gone.signal };
    const handle = async () => {
      if (path === '/health' && req.method === 'GET') return sendJson(res, 200, { status: 'ok' });
      if (path === '/ready' && req.method === 'GET') return sendReady(res, await deps.readiness());
      if (path === '/metrics' && req.method === 'GET') return sendMetrics(req, res);
      if (path.startsWith('/sse/')) {
        const sse = sseMethodOf(path, serviceName);
        context.method = sse ? `Stream${sse}` : 'unknown';
        return handleRpcPath(req, res, context, sse ?? null);
      }
      if (!path.startsWith('/twirp/')) return sendJson(res, 404, { error: 'not found' });
      await handleRpcPath(req, res, context, undefined);
    };
    handle().catch((err: unknown) => {
      logger.error({ err }, 'request failed');
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
    sse: SseMethod | null | undefined,
  ) {
    setRequestContext(req, context);
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
    await otelContext.with(call.context, () => handleAuthenticated(req, res, context, sse));
  }

  async function handleAuthenticated(
    req: IncomingMessage,
    res: ServerResponse,
    context: RequestContext,
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
    context.logger = context.logger.child({ client: clientId });
    await handleRpc(req, res, context, sse);
  }

  async function sendMetrics(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (metricsAuth && !metricsAuth(req.headers.authorization)) {
      res.setHeader('www-authenticate', 'Bearer');
      return sendJson(res, 401, {
        error: 'a valid metrics token is required (Authorization: Bearer <token>)',
      });
    }
    const body = await deps.metrics.registry.metrics();
    res.statusCode = 200;
    res.setHeader('content-type', deps.metrics.registry.contentType);
    res.end(body);
  }

  async function handleRpc(
    req: IncomingMessage,
    res: ServerResponse,
    context: RequestContext,
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
    if ((req.method === 'POST' && contentType === null) || (sse && contentType !== 'application/json')) {
      context.code = 'malformed';
      req.resume();
      return sendTwirpError(
        res,
        TwirpErrorCode.Malformed,
        sse
          ? 'unsupported Content-Type: streaming routes take application/json'
          : 'unsupported Content-Type: use application/json or application/protobuf',
        415,
      );
    }
    if (contentType) req.headers['content-type'] = contentType;
    let body: Buffer;
    try {
      body = await readBody(req, deps.limits.maxBodyBytes);
    } catch (err) {
      if (!(err instanceof BodyTooLargeError)) throw err;
      context.code = 'malformed';
      return refuseBody(req, res, err.limit);
    }
    if (sse) return serveSse(res, context, sse, body);
    (req as IncomingMessage & { rawBody?: Buffer }).rawBody = body;
    await handleTwirp(req, res);
  }
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
