import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScriptedLlm } from '../../server/src/assistant/scripted-llm.ts';
import { type RunningParley, startParley, TEST_KEY } from '../support/parley.ts';

const LIST = '/twirp/parley.chat.v1.ChatService/ListConversations';

describe('the HTTP edge', () => {
  let parley: RunningParley;

  beforeAll(async () => {
    parley = await startParley({ overrides: { llm: new ScriptedLlm() }, env: { MAX_BODY_BYTES: '65536' } });
  });
  afterAll(() => parley.cleanup());

  const post = (path: string, body: string, headers: Record<string, string> = {}) =>
    fetch(`${parley.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_KEY}`, 'content-type': 'application/json', ...headers },
      body,
    });

  it('answers a JSON Twirp call with a bearer key, as curl would send it', async () => {
    const res = await post(LIST, '{"session":{"user_id":"curl"}}');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    // twirp-ts omits default values in JSON: an empty list is `{}`.
    expect(await res.json()).toEqual({});
  });

  it('accepts application/json; charset=utf-8', async () => {
    const res = await post(LIST, '{}', { 'content-type': 'application/json; charset=utf-8' });
    expect(res.status).toBe(200);
  });

  it('rejects a missing or wrong key with 401 unauthenticated', async () => {
    const missing = await fetch(`${parley.url}${LIST}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(missing.status).toBe(401);
    expect(await missing.json()).toMatchObject({ code: 'unauthenticated' });
    const wrong = await post(LIST, '{}', { authorization: 'Bearer not-the-key-at-all' });
    expect(wrong.status).toBe(401);
  });

  it('refuses an oversized body without buffering it, and keeps serving', async () => {
    const big = 'x'.repeat(5 * 1024 * 1024);
    const status = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${parley.url}${LIST}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TEST_KEY}`, 'content-type': 'application/json' },
      });
      req.on('response', (res) => {
        let body = '';
        res.on('data', (chunk) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      // Chunked upload: no content-length, so the limit is enforced while streaming.
      req.end(big);
    });
    expect(status.status).toBe(413);
    expect(JSON.parse(status.body)).toMatchObject({
      code: 'malformed',
      meta: { max_bytes: expect.stringMatching(/^\d+$/) },
    });
    const declared = await post(LIST, big);
    expect(declared.status).toBe(413);
    expect((await post(LIST, '{}')).status).toBe(200);
  });

  it('answers a missing or unsupported content type with bad_route (404), as Twirp v7 says', async () => {
    const text = await post(LIST, '{}', { 'content-type': 'text/plain' });
    expect(text.status).toBe(404);
    expect(await text.json()).toMatchObject({ code: 'bad_route' });
    const latin = await post(LIST, '{}', { 'content-type': 'application/json; charset=latin1' });
    expect(latin.status).toBe(404);
    const missing = await fetch(`${parley.url}${LIST}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_KEY}` },
      body: new Uint8Array([1, 2, 3]),
    });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ code: 'bad_route' });
  });

  it('answers a body that does not decode with malformed, without the decoder’s text', async () => {
    for (const [type, body] of [
      ['application/json', '{"session": '],
      ['application/protobuf', '\xff\xff\xff'],
    ] as const) {
      const broken = await post(LIST, body, { 'content-type': type });
      expect(broken.status).toBe(400);
      const error = (await broken.json()) as { code: string; meta?: Record<string, string> };
      expect(error.code).toBe('malformed');
      expect(error.meta?.cause).toBeUndefined();
    }
  });

  it('answers an unknown method with bad_route', async () => {
    const res = await post('/twirp/parley.chat.v1.ChatService/Nope', '{}');
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ code: 'bad_route' });
  });

  it('echoes a sane x-request-id and makes one up otherwise', async () => {
    const given = await post(LIST, '{}', { 'x-request-id': 'req-123' });
    expect(given.headers.get('x-request-id')).toBe('req-123');
    const made = await post(LIST, '{}', { 'x-request-id': 'bad id with spaces' });
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('serves /health and /ready without a key', async () => {
    expect((await fetch(`${parley.url}/health`)).status).toBe(200);
    const ready = await fetch(`${parley.url}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      status: 'ready',
      components: { store: { ok: true, detail: 'sqlite' }, model: { ok: true } },
    });
  });
});

describe('readiness without a model', () => {
  it('reports 503 and names what to configure', async () => {
    const parley = await startParley();
    try {
      const ready = await fetch(`${parley.url}/ready`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ components: { model: { ok: false } } });
    } finally {
      await parley.cleanup();
    }
  });
});
