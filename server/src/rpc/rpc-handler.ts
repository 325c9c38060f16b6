import type { IncomingMessage, ServerResponse } from 'node:http';
import { TwirpErrorCode } from 'twirp-ts';
import { BodyTooLargeError, normalizeContentType, readBody, refuseBody, sendTwirpError } from './edge.ts';
import type { MountedService } from './mounted-service.ts';
import type { RequestContext } from './request-context.ts';
import type { createSseHandler, SseMethod } from './sse-routes.ts';
import { type createJsonTurnHandler, jsonTurnMethodOf } from './unary-turns.ts';

export interface RpcHandlerDeps {
  /** `maxTurnBodyBytes`: the body limit of the turn-taking calls, whose files make them larger. */
  limits: { maxBodyBytes: number; maxTurnBodyBytes?: number };
  serveSse: ReturnType<typeof createSseHandler>;
  serveJsonTurn: ReturnType<typeof createJsonTurnHandler>;
}

/**
 * An authenticated RPC from its content type to its handler: the route and content type checked, the
 * body read within its limit, then the SSE route, the JSON turn path or the Twirp service.
 * `sse`: undefined for a Twirp route, the streaming method for an SSE route (null when it names none).
 */
export function createRpcHandler(deps: RpcHandlerDeps) {
  const { serveSse, serveJsonTurn } = deps;
  return async (
    req: IncomingMessage,
    res: ServerResponse,
    context: RequestContext,
    service: MountedService,
    sse: SseMethod | null | undefined,
  ): Promise<void> => {
    const contentType = normalizeContentType(req.headers['content-type']);
    if (refuseRoute(req, res, context, contentType, sse)) return;
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
  };
}

/** Answers a call no handler takes (unknown streaming method, wrong content type); true when it did. */
function refuseRoute(
  req: IncomingMessage,
  res: ServerResponse,
  context: RequestContext,
  contentType: string | null,
  sse: SseMethod | null | undefined,
): boolean {
  if (sse === null || (sse && req.method !== 'POST')) {
    context.code = 'bad_route';
    req.resume();
    sendTwirpError(res, TwirpErrorCode.BadRoute, 'no such streaming method (POST /sse/<service>/<method>)');
    return true;
  }
  if (req.method === 'POST' && contentType === null && !sse) {
    // Twirp v7: a request whose Content-Type is missing or not Twirp's is not routable (bad_route, 404).
    context.code = 'bad_route';
    req.resume();
    sendTwirpError(
      res,
      TwirpErrorCode.BadRoute,
      'unsupported Content-Type: use application/json or application/protobuf',
    );
    return true;
  }
  if (sse && contentType !== 'application/json') {
    context.code = 'malformed';
    req.resume();
    sendTwirpError(
      res,
      TwirpErrorCode.Malformed,
      'unsupported Content-Type: streaming routes take application/json',
      415,
    );
    return true;
  }
  return false;
}

const TURN_ROUTES = /\/parley\.chat\.v1\.ChatService\/(StartConversation|ContinueConversation)$/;

/** Turn-taking calls may carry files (base64 in JSON); every other call keeps the small limit. */
function bodyLimit(url: string, limits: RpcHandlerDeps['limits']): number {
  const path = url.split('?')[0] ?? '';
  return TURN_ROUTES.test(path) ? (limits.maxTurnBodyBytes ?? limits.maxBodyBytes) : limits.maxBodyBytes;
}
