import { once } from 'node:events';
import { createServer } from 'node:http';
import { createServer as createHttp2Server } from 'node:http2';
import type { AddressInfo } from 'node:net';

// An OpenTelemetry collector that records what exporters send, over either OTLP transport the SDK's
// OTEL_EXPORTER_OTLP_PROTOCOL picks: HTTP (`http/json`, `http/protobuf`) or gRPC (HTTP/2 without TLS,
// answering every call with an empty message and grpc-status 0). Bodies are kept as text: span names
// show in protobuf bytes as they are.

export type OtlpProtocol = 'http/json' | 'grpc';

export interface OtlpCollector {
  /** OTEL_EXPORTER_OTLP_ENDPOINT for the exporter. */
  readonly url: string;
  /** `<path> <body>` of every export received. */
  readonly received: string[];
  close(): Promise<void>;
}

export async function startOtlpCollector(protocol: OtlpProtocol): Promise<OtlpCollector> {
  const received: string[] = [];
  const server = protocol === 'grpc' ? grpcServer(received) : httpServer(received);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function httpServer(received: string[]) {
  return createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push(`${req.url} ${Buffer.concat(chunks).toString()}`);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
}

function grpcServer(received: string[]) {
  const server = createHttp2Server();
  server.on('stream', (stream, headers) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => {
      received.push(`${headers[':path']} ${Buffer.concat(chunks).toString()}`);
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      // One length-prefixed message of zero bytes: the empty Export response.
      stream.end(Buffer.alloc(5));
    });
  });
  return server;
}
