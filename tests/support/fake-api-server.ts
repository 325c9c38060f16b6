import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The HTTP plumbing shared by the fake provider APIs (weather, holidays): real HTTP on 127.0.0.1, a
 * request log, switchable failures and latency. Each fake supplies only its routes and error bodies.
 */

export interface FakeApiRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  query: URLSearchParams;
  /** `Date.now()` on arrival. */
  receivedAt: number;
}

export interface FakeApiReply {
  status: number;
  /** JSON-encoded unless a string; omitted for 204. */
  body?: unknown;
  headers?: Record<string, string>;
}

/** What a fake does instead of answering normally: an HTTP status, or dropping the connection. */
export type FakeFailure = number | 'drop';

export interface FakeApi {
  /** Base URL to configure the client with (no trailing slash). */
  readonly url: string;
  readonly requests: FakeApiRequest[];
  readonly requestCount: number;
  /** The next `count` requests (default: all until `heal()`) fail with `status`, or drop the connection. */
  fail(failure: FakeFailure, count?: number): void;
  /** The next `count` requests (default 1) get `reply` instead of the normal answer. */
  override(reply: FakeApiReply, count?: number): void;
  /** Stops failing and overriding. */
  heal(): void;
  /** Waits this long before every answer. */
  setLatency(ms: number): void;
  /** Forgets requests, failures, overrides and latency. */
  reset(): void;
  close(): Promise<void>;
}

export interface FakeApiRoutes {
  answer(request: FakeApiRequest): FakeApiReply;
  /** The provider's error body for a failure status. */
  errorBody(status: number): unknown;
}

type Planned = { failure: FakeFailure } | { reply: FakeApiReply };

export async function startFakeApi(routes: FakeApiRoutes): Promise<FakeApi> {
  const api = new FakeApiServer(routes);
  await api.listen();
  return api;
}

class FakeApiServer implements FakeApi {
  readonly requests: FakeApiRequest[] = [];
  readonly #routes: FakeApiRoutes;
  readonly #server = createServer((req, res) => this.#handle(req, res));
  readonly #timers = new Set<NodeJS.Timeout>();
  #planned: Planned[] = [];
  #failForever: FakeFailure | undefined;
  #latencyMs = 0;
  #url = '';

  constructor(routes: FakeApiRoutes) {
    this.#routes = routes;
  }

  get url(): string {
    return this.#url;
  }

  get requestCount(): number {
    return this.requests.length;
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(0, '127.0.0.1', () => resolve());
    });
    this.#url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  fail(failure: FakeFailure, count?: number): void {
    if (count === undefined) this.#failForever = failure;
    else this.#planned.push(...Array.from({ length: count }, () => ({ failure })));
  }

  override(reply: FakeApiReply, count = 1): void {
    this.#planned.push(...Array.from({ length: count }, () => ({ reply })));
  }

  heal(): void {
    this.#planned = [];
    this.#failForever = undefined;
  }

  setLatency(ms: number): void {
    this.#latencyMs = ms;
  }

  reset(): void {
    this.heal();
    this.requests.length = 0;
    this.#latencyMs = 0;
  }

  close(): Promise<void> {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    return new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      // Keep-alive sockets and delayed answers would hold close() open.
      this.#server.closeAllConnections();
    });
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://fake');
    const request = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      receivedAt: Date.now(),
    };
    this.requests.push(request);
    const planned =
      this.#planned.shift() ?? (this.#failForever === undefined ? undefined : { failure: this.#failForever });
    const respond = () => this.#respond(res, planned ?? { reply: this.#routes.answer(request) });
    if (this.#latencyMs <= 0) {
      respond();
      return;
    }
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      respond();
    }, this.#latencyMs);
    this.#timers.add(timer);
  }

  #respond(res: ServerResponse, planned: Planned): void {
    // The client may have given up while the latency ran.
    if (res.destroyed) return;
    if ('reply' in planned) send(res, planned.reply);
    else if (planned.failure === 'drop') res.socket?.destroy();
    else send(res, { status: planned.failure, body: this.#routes.errorBody(planned.failure) });
  }
}

function send(res: ServerResponse, reply: FakeApiReply): void {
  const text =
    reply.body === undefined ? '' : typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    ...(text ? { 'content-type': 'application/json' } : {}),
    ...reply.headers,
  });
  res.end(text);
}
