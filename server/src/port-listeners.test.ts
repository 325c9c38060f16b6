import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { connect, createServer as createNetServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { assertPortFree, listenOnPort, type PortListeners } from './port-listeners.ts';

const HOST = '127.0.0.1';
let open: Array<{ close(): unknown }> = [];

afterEach(async () => {
  for (const thing of open.reverse()) await thing.close();
  open = [];
});

function httpServer(): Server {
  const server = createServer((_req, res) => res.end('ok'));
  open.push({ close: () => server.closeAllConnections() });
  return server;
}

async function listen(server: Server, sockets: number): Promise<PortListeners> {
  const listeners = await listenOnPort(server, { port: 0, host: HOST, backlog: 511, sockets, pooled: false });
  open.push(listeners);
  return listeners;
}

/** Opens `count` connections at once: the kernel completes them all before the server's loop runs again. */
function burst(port: number, count: number): Socket[] {
  const sockets = Array.from({ length: count }, () => connect({ port, host: HOST }));
  for (const socket of sockets) {
    socket.on('error', () => {});
    open.push({ close: () => socket.destroy() });
  }
  return sockets;
}

/** Event-loop iterations (check phases) until `server` has taken `count` connections. */
function iterationsUntilAccepted(server: Server, count: number): Promise<number> {
  let accepted = 0;
  let iterations = 0;
  server.on('connection', () => accepted++);
  return new Promise((resolve) => {
    const tick = () => {
      iterations++;
      if (accepted >= count) resolve(iterations);
      else setImmediate(tick);
    };
    setImmediate(tick);
  });
}

describe('listenOnPort', () => {
  it('listens with several sockets on one port, each handing its connections to the one HTTP server', async () => {
    const server = httpServer();
    const listeners = await listen(server, 4);
    expect(listeners.sockets).toBe(4);
    expect(listeners.address.port).toBeGreaterThan(0);
    const answers = await Promise.all(
      Array.from({ length: 20 }, () =>
        fetch(`http://${HOST}:${listeners.address.port}/`).then((r) => r.text()),
      ),
    );
    expect(answers).toEqual(Array(20).fill('ok'));
  });

  it('takes a burst of new connections in a fraction of the loop iterations one socket needs', async () => {
    // Node accepts one connection per listening socket per loop iteration: with one socket, 64 waiting
    // connections take 64 iterations, however long each iteration is (hundreds of live streams).
    const server = httpServer();
    const listeners = await listen(server, 8);
    const iterations = iterationsUntilAccepted(server, 64);
    burst(listeners.address.port, 64);
    // The kernel spreads them over the 8 sockets by a hash; the fullest queue sets the count.
    expect(await iterations).toBeLessThanOrEqual(32);
  });

  it('stops accepting on every socket when closed, once the connections it took have closed', async () => {
    const server = httpServer();
    const listeners = await listenOnPort(server, {
      port: 0,
      host: HOST,
      backlog: 511,
      sockets: 4,
      pooled: false,
    });
    const { port } = listeners.address;
    const accepted = iterationsUntilAccepted(server, 8);
    const clients = burst(port, 8);
    // Each in the middle of a request (not idle), so closing waits for it.
    for (const client of clients) client.write('GET / HTTP/1.1\r\nhost: parley\r\n');
    await accepted;
    let closed = false;
    const closing = listeners.close().then(() => (closed = true));
    // Still open: a connection it accepted is.
    await new Promise((resolve) => setImmediate(resolve));
    expect(closed).toBe(false);
    for (const client of clients) client.destroy();
    await closing;
    const refused = connect({ port, host: HOST });
    const [err] = (await once(refused, 'error')) as [NodeJS.ErrnoException];
    expect(err.code).toBe('ECONNREFUSED');
  });

  it('refuses a port another server listens on, even one that allows sharing it (SO_REUSEPORT)', async () => {
    const other = createNetServer();
    other.listen({ port: 0, host: HOST, reusePort: true });
    await once(other, 'listening');
    open.push({ close: () => new Promise((resolve) => other.close(resolve)) });
    const port = (other.address() as { port: number }).port;
    await expect(
      listenOnPort(httpServer(), { port, host: HOST, backlog: 511, sockets: 4, pooled: false }),
    ).rejects.toMatchObject({ code: 'EADDRINUSE' });
    await expect(assertPortFree(HOST, port)).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });

  it('joins the sockets its sibling workers bound when it is one worker of a pool', async () => {
    const first = httpServer();
    const sibling = await listen(first, 2);
    const second = httpServer();
    const joined = await listenOnPort(second, {
      port: sibling.address.port,
      host: HOST,
      backlog: 511,
      sockets: 2,
      pooled: true,
    });
    open.push(joined);
    expect(joined.address.port).toBe(sibling.address.port);
    expect(joined.sockets).toBe(2);
  });

  it('leaves port 0 in a pool to one socket, so every worker gets the port the primary picked', async () => {
    const listeners = await listenOnPort(httpServer(), {
      port: 0,
      host: HOST,
      backlog: 511,
      sockets: 8,
      pooled: true,
    });
    open.push(listeners);
    expect(listeners.sockets).toBe(1);
  });

  it('listens on one ordinary socket when asked for one', async () => {
    const server = httpServer();
    const listeners = await listen(server, 1);
    expect(listeners.sockets).toBe(1);
    const other = createNetServer();
    other.listen({ port: listeners.address.port, host: HOST, reusePort: true });
    const [err] = (await once(other, 'error')) as [NodeJS.ErrnoException];
    expect(err.code).toBe('EADDRINUSE');
  });
});
