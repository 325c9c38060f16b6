import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ServerConfig } from '@parley/config';
import { listenOnPort, type PortListeners } from './port-listeners.ts';
import type { TurnEngine } from './turns/turn-engine.ts';

export interface ParleyServer {
  readonly server: Server;
  /** Starts listening; resolves with the bound address (port 0 picks a free port). */
  listen(): Promise<AddressInfo>;
  /** Stops accepting, lets in-flight requests finish (up to the shutdown timeout), then closes stores. */
  close(): Promise<void>;
}

export interface ServerLifecycleDeps {
  server: Server;
  config: Pick<Readonly<ServerConfig>, 'port' | 'host' | 'acceptSockets' | 'shutdownTimeoutMs'>;
  /** This process is one worker of several (WORKERS > 1). */
  pooled: boolean;
  engine: Pick<TurnEngine, 'cutOff' | 'drain'>;
  /** Closes what the server was built on, once no request and no turn is left. */
  release: () => Promise<void>;
}

/** How long answers to turns cut off at shutdown get to reach their callers before sockets close. */
const ANSWER_GRACE_MS = 1_000;

/** Listening, and shutting down in order: sockets, requests, turns, then what they ran on. */
export function serverLifecycle(deps: ServerLifecycleDeps): ParleyServer {
  const { server, config, engine } = deps;
  let listeners: PortListeners | undefined;
  return {
    server,
    async listen() {
      listeners = await listenOnPort(server, {
        port: config.port,
        host: config.host,
        // A burst of new streams must wait in the accept queue, not be reset: Node's default backlog is 511.
        backlog: 4096,
        sockets: config.acceptSockets,
        pooled: deps.pooled,
      });
      return listeners.address;
    },
    async close() {
      const closed = listeners
        ? listeners.close()
        : new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      // Turns still running at the timeout are answered `unavailable` (their callers retry with the same
      // request_id); the sockets close only once those answers had a moment to leave.
      let force: NodeJS.Timeout | undefined;
      const timer = setTimeout(() => {
        engine.cutOff();
        force = setTimeout(() => server.closeAllConnections(), ANSWER_GRACE_MS);
      }, config.shutdownTimeoutMs);
      await closed;
      clearTimeout(timer);
      clearTimeout(force);
      await engine.drain();
      await deps.release();
    },
  };
}
