import * as congodb from '@push.rocks/smartmongo/dist_ts/congodb/index.js';
import type { MongoClientOptions } from 'mongodb';
import { freePort } from './free-port.ts';

/** A running CongoDB: a MongoDB wire-protocol server in this process, for the real driver over TCP. */
export interface CongoDb {
  /** `mongodb://127.0.0.1:<port>` (no database: give each test its own). */
  readonly url: string;
  /** Driver options every client of CongoDB needs; see CONGO_CLIENT_OPTIONS. */
  readonly clientOptions: MongoClientOptions;
  stop(): Promise<void>;
}

/**
 * CongoDB advertises `topologyVersion` in hello, so the driver switches its heartbeat to the streaming
 * (exhaust, moreToCome) protocol, which CongoDB does not speak: the monitor fails, marks the server
 * unknown and clears the pool under running operations. Polling heartbeats avoid that; production
 * MongoDB streams fine with the default ('auto').
 */
export const CONGO_CLIENT_OPTIONS: MongoClientOptions = { serverMonitoringMode: 'poll' };

/**
 * Starts CongoDB on a free loopback port. CongoServer cannot listen on port 0 (it reports the port it
 * was given), so a port is found first; another process may take it in between, hence the retries.
 * See docs/architecture.md "Testing MongoDB code here" for what CongoDB does not do.
 */
export async function startCongo(): Promise<CongoDb> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const server = new congodb.CongoServer({ port, host: '127.0.0.1' });
    try {
      await server.start();
    } catch (err) {
      if (attempt < 5 && (err as NodeJS.ErrnoException).code === 'EADDRINUSE') continue;
      throw err;
    }
    return {
      url: `mongodb://127.0.0.1:${port}`,
      clientOptions: CONGO_CLIENT_OPTIONS,
      stop: () => server.stop(),
    };
  }
}
