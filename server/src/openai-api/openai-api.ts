import type { IncomingMessage, ServerResponse } from 'node:http';
import { ValidationError } from '../errors/app-error.ts';
import { toPublicError } from '../errors/public-error.ts';
import { BodyTooLargeError, DRAIN_LIMITS, readBody, refuseBody } from '../rpc/edge.ts';
import type { RequestContext } from '../rpc/request-context.ts';
import { type ChatCompletionsDeps, createChatCompletions } from './chat-completions.ts';
import { sendOpenAiError, toOpenAiError } from './openai-errors.ts';

export interface OpenAiApiDeps extends ChatCompletionsDeps {
  /** The same bearer-key check as every other route: the client name, or null. */
  authenticate(header: string | undefined): string | null;
  maxBodyBytes: number;
  /** The body limit of chat completions, whose messages may carry files (base64). */
  maxTurnBodyBytes: number;
}

/** The methods, as the request metrics and spans name them. */
export const OPENAI_METHODS = ['OpenAiChatCompletions', 'OpenAiListModels', 'OpenAiGetModel'] as const;

/** The method a `/v1/...` path and HTTP method name, or `unknown`. */
export function openAiMethodOf(method: string | undefined, path: string): string {
  if (path === '/v1/chat/completions' && method === 'POST') return 'OpenAiChatCompletions';
  if (path === '/v1/models' && method === 'GET') return 'OpenAiListModels';
  if (path.startsWith('/v1/models/') && method === 'GET') return 'OpenAiGetModel';
  return 'unknown';
}

/**
 * The OpenAI-compatible front door on the server's port, `/v1/...`: the same API keys, and OpenAI's
 * shapes for everything a client sees, errors included (`{"error": {message, type, param, code}}`).
 */
export function createOpenAiApi(deps: OpenAiApiDeps) {
  const completions = createChatCompletions(deps);
  return async (req: IncomingMessage, res: ServerResponse, context: RequestContext): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const fail = (err: unknown) => {
      const facts = toPublicError(err, context.logger);
      context.code = facts.code;
      sendOpenAiError(res, toOpenAiError(facts));
    };
    const clientId = deps.authenticate(req.headers.authorization);
    if (!clientId) {
      req.resume();
      res.setHeader('www-authenticate', 'Bearer');
      context.code = 'unauthenticated';
      return sendOpenAiError(res, unauthenticated());
    }
    context.clientId = clientId;
    context.logger = context.logger.child({ client: clientId });
    try {
      switch (context.method) {
        case 'OpenAiListModels':
          return sendJson(res, deps.models.list(clientId));
        case 'OpenAiGetModel':
          return sendJson(res, deps.models.get(clientId, modelIdOf(path)));
        case 'OpenAiChatCompletions':
          return await completions(
            res,
            context,
            req.headers,
            await jsonBody(req, res, deps.maxTurnBodyBytes),
          );
        default:
          req.resume();
          context.code = 'bad_route';
          return sendOpenAiError(res, {
            status: 404,
            body: {
              error: {
                message: `Unknown request URL: ${req.method} ${path}. This server answers POST /v1/chat/completions, GET /v1/models and GET /v1/models/{model}.`,
                type: 'invalid_request_error',
                param: null,
                code: 'unknown_url',
              },
            },
          });
      }
    } catch (err) {
      if (err instanceof BodyTooLargeError) {
        context.code = 'malformed';
        return;
      }
      fail(err);
    }
  };
}

/** Reads and parses the JSON body; a body over the limit is refused with 413 (and BodyTooLargeError). */
async function jsonBody(req: IncomingMessage, res: ServerResponse, limit: number): Promise<unknown> {
  let body: Buffer;
  try {
    body = await readBody(req, limit);
  } catch (err) {
    if (err instanceof BodyTooLargeError) {
      const error = {
        message: `request body exceeds ${limit} bytes`,
        type: 'invalid_request_error',
        param: null,
        code: 'request_too_large',
      };
      refuseBody(req, res, limit, DRAIN_LIMITS, JSON.stringify({ error }));
    }
    throw err;
  }
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new ValidationError('body', 'is not valid JSON');
  }
}

/** The model id in `/v1/models/{model}` (ids such as `org/model` keep their slash). */
function modelIdOf(path: string): string {
  try {
    return decodeURIComponent(path.slice('/v1/models/'.length));
  } catch {
    throw new ValidationError('model', 'is not a valid URL path segment');
  }
}

function unauthenticated() {
  return toOpenAiError({
    code: 'unauthenticated',
    message: 'Incorrect or missing API key: send Authorization: Bearer <key> with a key this server knows.',
    meta: {},
  });
}

function sendJson(res: ServerResponse, body: unknown): void {
  res.statusCode = 200;
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(body));
}
