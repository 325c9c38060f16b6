import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '@parley/logger';
import type { ParleyMetrics } from '../observability/metrics.ts';
import type { ComponentStatus, Readiness } from '../observability/readiness.ts';
import { createAuthenticator } from './edge.ts';

export interface OpsEndpointsDeps {
  readiness: Readiness;
  metrics: ParleyMetrics;
  /** When set, `/metrics` asks for `Authorization: Bearer <token>`; otherwise it is open. */
  metricsToken?: string;
  /**
   * One of several server processes (WORKERS > 1): `/health` names the worker that answered, and
   * `/metrics` serves the whole pool's metrics from `metrics()` (aggregated by the primary).
   */
  pool?: { worker: number; metrics(): Promise<string> };
  logger: Logger;
}

export type OpsEndpoint = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/** The operator's GET endpoints by path: `/health`, `/ready` and `/metrics`. */
export function createOpsEndpoints(deps: OpsEndpointsDeps): ReadonlyMap<string, OpsEndpoint> {
  const metricsAuth = deps.metricsToken
    ? createAuthenticator([{ client: 'metrics', key: deps.metricsToken }])
    : undefined;
  const { pool } = deps;

  async function sendMetrics(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (metricsAuth && !metricsAuth(req.headers.authorization)) {
      res.setHeader('www-authenticate', 'Bearer');
      return sendJson(res, 401, {
        error: 'a valid metrics token is required (Authorization: Bearer <token>)',
      });
    }
    let body: string;
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

  return new Map<string, OpsEndpoint>([
    [
      '/health',
      async (_req, res) =>
        sendJson(res, 200, pool ? { status: 'ok', worker: pool.worker } : { status: 'ok' }),
    ],
    ['/ready', async (_req, res) => sendReady(res, await deps.readiness())],
    ['/metrics', sendMetrics],
  ]);
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(body));
}

function sendReady(res: ServerResponse, components: Record<string, ComponentStatus>): void {
  const ready = Object.values(components).every((c) => c.ok || c.optional);
  sendJson(res, ready ? 200 : 503, { status: ready ? 'ready' : 'not ready', components });
}
