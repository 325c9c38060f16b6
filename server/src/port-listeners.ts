import { once } from 'node:events';
import type { Server } from 'node:http';
import { type AddressInfo, createServer, type Server as NetServer } from 'node:net';

// Node (libuv ≥ 1.45) accepts ONE pending connection per listening socket per event-loop iteration.
// A process whose iterations are long (hundreds of live streams: each iteration handles their pieces)
// so takes new connections only a few hundred a second, and a burst waits in the kernel's accept queue
// for seconds before the server ever sees it. Several sockets on one port (SO_REUSEPORT: the kernel
// spreads new connections over them) accept that many per iteration. Each process of a pool (WORKERS)
// binds its own, so a connection also goes straight to a worker instead of through the cluster
// primary's hand-off (one connection in flight per worker, each acknowledged before the next is sent).

export interface PortListenOptions {
  port: number;
  host: string;
  /** Each socket's accept queue. */
  backlog: number;
  /** Listening sockets in this process: at most this many connections accepted per loop iteration. */
  sockets: number;
  /**
   * This process is one worker of a pool: its sockets join those its sibling workers bound on the port
   * (with port 0, one socket: the primary's, whose port every worker shares). Otherwise the port must be free (another server listening there is an error, as without
   * SO_REUSEPORT, never a silent share).
   */
  pooled: boolean;
}

export interface PortListeners {
  readonly address: AddressInfo;
  /** How many sockets listen (1 where the platform has no SO_REUSEPORT). */
  readonly sockets: number;
  /** Stops accepting on every socket; resolves once every connection they accepted has closed. */
  close(): Promise<void>;
}

/**
 * Listens for `server` on `sockets` sockets sharing one port. The first is the server's own; each other
 * hands the connections it accepts to it (`'connection'`, as Node documents for injecting
 * connections), so timeouts, keep-alive and closing idle connections apply to every connection alike.
 * Where the platform refuses SO_REUSEPORT, one ordinary socket listens (in a pool, the primary's).
 */
export async function listenOnPort(server: Server, options: PortListenOptions): Promise<PortListeners> {
  const { port, host, backlog } = options;
  let shared = false;
  // Port 0 in a pool: the primary picks one port for every worker (each binding its own would get its own).
  const sockets = options.pooled && port === 0 ? 1 : options.sockets;
  if (sockets > 1) {
    if (!options.pooled) await assertPortFree(host, port);
    shared = await listened(server, { port, host, backlog, reusePort: true });
  }
  if (!shared) {
    server.listen({ port, host, backlog });
    await once(server, 'listening');
  }
  const address = server.address() as AddressInfo;
  const extra: NetServer[] = [];
  for (let i = 1; shared && i < sockets; i++) {
    // Sockets as the HTTP server's own listener makes them (it handles a client's half-close itself; no
    // Nagle delay on the small SSE frames).
    const listener = createServer({ allowHalfOpen: true, noDelay: true }, (socket) =>
      server.emit('connection', socket),
    );
    if (!(await listened(listener, { port: address.port, host, backlog, reusePort: true }))) break;
    extra.push(listener);
  }
  return {
    address,
    sockets: 1 + extra.length,
    close: () => Promise.all([server, ...extra].map(closed)).then(() => {}),
  };
}

/**
 * Fails (EADDRINUSE) when something already listens on `host:port`, SO_REUSEPORT sockets included: a
 * second server started on the port by mistake must not quietly share it. A pool's primary asks before
 * it forks workers that then bind the port together. Port 0 (any free port) always passes.
 */
export async function assertPortFree(host: string, port: number): Promise<void> {
  if (port === 0) return;
  const probe = createServer();
  // exclusive: in a cluster worker too, bind here rather than ask the primary for its handle.
  probe.listen({ port, host, exclusive: true });
  await once(probe, 'listening');
  await closed(probe);
}

/** Listens; false when the socket could not (the port refused SO_REUSEPORT, or the platform has none). */
async function listened(
  listener: NetServer,
  options: { port: number; host: string; backlog: number; reusePort: boolean },
): Promise<boolean> {
  listener.listen(options);
  try {
    await once(listener, 'listening');
    return true;
  } catch {
    return false;
  }
}

function closed(listener: NetServer): Promise<void> {
  return new Promise((resolve) => listener.close(() => resolve()));
}
