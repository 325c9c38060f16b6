import type { IncomingMessage, ServerResponse } from 'node:http';
import { type TwirpContext, type TwirpError, TwirpErrorCode, type TwirpServer } from 'twirp-ts';
import type { ParleyMetrics } from '../observability/metrics.ts';
import { RpcTelemetry } from '../observability/rpc-telemetry.ts';
import { type RequestContext, requestContext } from './request-context.ts';

export interface MountedService {
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
export function mountService<T extends object>(
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
