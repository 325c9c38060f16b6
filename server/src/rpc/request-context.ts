import type { IncomingMessage } from 'node:http';
import type { Logger } from '@parley/logger';
import type { CallOrigin } from '../turns/turn-calls.ts';

/** What the edge learned about a request, set once before the RPC runs. */
export interface RequestContext {
  requestId: string;
  /** The authenticated client (from its API key). */
  clientId: string;
  logger: Logger;
  /** Fires when the client goes away before its response is complete. */
  signal: AbortSignal;
  /** Filled by the RPC layer for the access log. */
  method?: string;
  code?: string;
}

/** Who asks for a turn: this request, with the client's `request_id` as the idempotency key. */
export function originOf(context: RequestContext, requestId: string): CallOrigin {
  return { requestId: context.requestId, idempotencyKey: requestId, logger: context.logger };
}

const contexts = new WeakMap<IncomingMessage, RequestContext>();

export function setRequestContext(req: IncomingMessage, context: RequestContext): void {
  contexts.set(req, context);
}

export function requestContext(req: IncomingMessage): RequestContext {
  const context = contexts.get(req);
  // The edge sets a context before twirp-ts sees the request; reaching this is a wiring bug.
  if (!context) throw new Error('request context missing');
  return context;
}
