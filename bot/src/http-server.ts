import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from '@parley/logger';
import type { Registry } from 'prom-client';

/** telegraf's `webhookCallback(path, { secretToken })`: answers 403 itself when the secret is wrong. */
export type WebhookHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

export interface BotHttpServerDeps {
  logger: Logger;
  registry: Registry;
  /** Webhook mode: the path Telegram posts to (path and query of TELEGRAM_WEBHOOK_URL). */
  webhook?: { path: string; handler: WebhookHandler };
}

/** Telegram's updates are small; anything much larger is not from Telegram. */
const MAX_UPDATE_BYTES = 1_048_576;

/**
 * The bot's own HTTP server: the webhook (POST only, secret token checked by telegraf), `/health`
 * for liveness and `/metrics` for Prometheus.
 */
export function createBotHttpServer(deps: BotHttpServerDeps): Server {
  return createServer((req, res) => {
    handle(deps, req, res).catch((err: unknown) => {
      deps.logger.error({ err }, 'HTTP request failed');
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
}

async function handle(deps: BotHttpServerDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const target = req.url ?? '/';
  if (deps.webhook && target === deps.webhook.path) {
    if (req.method !== 'POST') return send(res, 405, 'method not allowed\n', { allow: 'POST' });
    if (Number(req.headers['content-length'] ?? 0) > MAX_UPDATE_BYTES) return send(res, 413, 'too large\n');
    return deps.webhook.handler(req, res);
  }
  const path = target.split('?')[0];
  if (req.method === 'GET' && path === '/health') return send(res, 200, '{"status":"ok"}\n', json);
  if (req.method === 'GET' && path === '/metrics') {
    return send(res, 200, await deps.registry.metrics(), { 'content-type': deps.registry.contentType });
  }
  send(res, 404, 'not found\n');
}

const json = { 'content-type': 'application/json' };

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
  res.end(body);
}
