import { once } from 'node:events';
import { createServer } from 'node:net';

/**
 * A loopback port free right now, for servers that cannot listen on port 0 themselves (CongoDB,
 * redis-server, the Telegram emulator, processes started by port). Another process may take it before
 * it is used; rare on loopback, and callers that care retry.
 */
export async function freePort(): Promise<number> {
  const probe = createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const address = probe.address();
  probe.close();
  await once(probe, 'close');
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return address.port;
}
