import type { IncomingMessage, ServerResponse } from 'node:http';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createMetrics } from './metrics.ts';
import { finalCode, RpcTelemetry } from './rpc-telemetry.ts';

const telemetry = new RpcTelemetry({
  metrics: createMetrics(new Registry()),
  service: 'parley.chat.v1.ChatService',
  methods: ['StartConversation', 'ListConversations'],
});

describe('RpcTelemetry.methodOf', () => {
  it.each([
    ['/twirp/parley.chat.v1.ChatService/StartConversation', 'StartConversation'],
    ['/twirp/parley.chat.v1.ChatService/Nope', 'unknown'],
    ['/twirp/other.Service/StartConversation', 'unknown'],
    ['/twirp/parley.chat.v1.ChatService/StartConversation/extra', 'unknown'],
    ['/twirp/parley.chat.v1.ChatService/', 'unknown'],
    ['/twirp/', 'unknown'],
  ])('%s → %s', (path, method) => {
    expect(telemetry.methodOf(path)).toBe(method);
  });
});

describe('finalCode', () => {
  const res = (statusCode: number, writableFinished = true) =>
    ({ statusCode, writableFinished }) as unknown as ServerResponse;

  it('keeps a recorded Twirp code', () => {
    expect(finalCode('not_found', res(404))).toBe('not_found');
  });

  it('is ok for a finished 200 and canceled when the caller left first', () => {
    expect(finalCode(undefined, res(200))).toBe('ok');
    expect(finalCode(undefined, res(200, false))).toBe('canceled');
  });

  it('never passes on a code outside Twirp’s set', () => {
    expect(finalCode('teapot', res(418))).toBe('unknown');
    expect(finalCode(undefined, res(502))).toBe('internal');
  });
});

describe('RpcTelemetry.start', () => {
  it('counts the call under its method and code', async () => {
    const metrics = createMetrics(new Registry());
    const edge = new RpcTelemetry({ metrics, service: 's', methods: ['M'] });
    const call = edge.start({ headers: {} } as IncomingMessage, 'M');
    call.finish('ok', 200);
    expect((await metrics.rpcRequests.get()).values).toEqual([
      expect.objectContaining({ labels: { method: 'M', code: 'ok' }, value: 1 }),
    ]);
  });
});
