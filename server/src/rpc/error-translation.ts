import type { TwirpContext } from 'twirp-ts';
import { toTwirpError } from './errors.ts';
import { requestContext } from './request-context.ts';

/**
 * Wraps every handler of a Twirp service so the request context learns the method and the final code,
 * and every failure goes through {@link toTwirpError} (no internal text reaches a client).
 */
export function withErrorTranslation<S extends object>(handlers: S): S {
  const wrapped = {} as Record<string, unknown>;
  for (const [name, handler] of Object.entries(handlers) as [
    string,
    (ctx: TwirpContext, req: unknown) => Promise<unknown>,
  ][]) {
    wrapped[name] = async (ctx: TwirpContext, req: unknown) => {
      const context = requestContext(ctx.req);
      context.method = name;
      try {
        return await handler(ctx, req);
      } catch (err) {
        const twirpError = toTwirpError(err, context.logger);
        context.code = twirpError.code;
        throw twirpError;
      }
    };
  }
  return wrapped as S;
}
