import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeChatClient } from '@parley/rpc/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from '../program.ts';
import { factoryFor, testIo } from '../testing/test-io.ts';
import { isLoopbackUrl, resolveApiKey, traceHeaders } from './command-context.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function localKeyFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'parley-cli-'));
  dirs.push(dir);
  const file = join(dir, 'local-api-key');
  writeFileSync(file, 'local-secret\n');
  return file;
}

describe('isLoopbackUrl', () => {
  it.each([
    'http://127.0.0.1:8080',
    'http://127.1.2.3',
    'http://localhost:8080/',
    'http://LOCALHOST',
    'http://[::1]:8080',
  ])('accepts %s', (url) => {
    expect(isLoopbackUrl(url)).toBe(true);
  });

  it.each([
    'https://parley.example.com',
    'http://10.0.0.1:8080',
    'http://localhost.evil.com',
    'http://127.0.0.1.evil.com',
    'http://[::2]',
    'not a url',
  ])('rejects %s', (url) => {
    expect(isLoopbackUrl(url)).toBe(false);
  });
});

describe('resolveApiKey', () => {
  it('prefers --api-key, then PARLEY_API_KEY', () => {
    const env = { PARLEY_API_KEY: 'from-env', PARLEY_LOCAL_KEY_FILE: localKeyFile() };
    expect(resolveApiKey({ apiKey: 'flag' }, env, 'http://127.0.0.1:8080')).toBe('flag');
    expect(resolveApiKey({}, env, 'http://127.0.0.1:8080')).toBe('from-env');
  });

  it('reads the local key for a loopback server', () => {
    const env = { PARLEY_LOCAL_KEY_FILE: localKeyFile() };
    expect(resolveApiKey({}, env, 'http://localhost:8080')).toBe('local-secret');
  });

  it('never sends the local key to another host', () => {
    const env = { PARLEY_LOCAL_KEY_FILE: localKeyFile() };
    expect(resolveApiKey({}, env, 'https://parley.example.com')).toBeUndefined();
  });

  it('sends no key when there is no local key file', () => {
    expect(
      resolveApiKey({}, { PARLEY_LOCAL_KEY_FILE: '/nonexistent/key' }, 'http://127.0.0.1'),
    ).toBeUndefined();
  });
});

describe('the client a command gets', () => {
  it('carries the local key only when the server is on loopback', async () => {
    const file = localKeyFile();
    const local = factoryFor(new FakeChatClient());
    await run(['list'], testIo({ PARLEY_LOCAL_KEY_FILE: file }).io, { createClient: local });
    expect(local.options).toEqual([{ baseUrl: 'http://127.0.0.1:8080', apiKey: 'local-secret' }]);

    const remote = factoryFor(new FakeChatClient());
    const t = testIo({ PARLEY_LOCAL_KEY_FILE: file, PARLEY_URL: 'https://parley.example.com' });
    await run(['list'], t.io, { createClient: remote });
    expect(remote.options).toEqual([{ baseUrl: 'https://parley.example.com' }]);
  });

  it('uses --server over PARLEY_URL', async () => {
    const factory = factoryFor(new FakeChatClient());
    const t = testIo({ PARLEY_URL: 'http://127.0.0.1:1111' });
    await run(['--server', 'http://127.0.0.1:2222', 'list'], t.io, { createClient: factory });
    expect(factory.options[0]?.baseUrl).toBe('http://127.0.0.1:2222');
  });
});

describe('trace propagation', () => {
  const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

  it('sends TRACEPARENT (and TRACESTATE) from the environment on every call', async () => {
    const factory = factoryFor(new FakeChatClient());
    const t = testIo({ TRACEPARENT: traceparent, TRACESTATE: 'vendor=1', PARLEY_API_KEY: 'k' });
    await run(['list'], t.io, { createClient: factory });
    expect(factory.options[0]?.headers).toEqual({ traceparent, tracestate: 'vendor=1' });
  });

  it('sends nothing without TRACEPARENT, or when it is malformed or all zeros', () => {
    expect(traceHeaders({})).toEqual({});
    expect(traceHeaders({ TRACEPARENT: 'not-a-traceparent' })).toEqual({});
    expect(traceHeaders({ TRACEPARENT: `00-${'0'.repeat(32)}-b7ad6b7169203331-01` })).toEqual({});
    expect(traceHeaders({ TRACEPARENT: ` ${traceparent.toUpperCase()} ` })).toEqual({ traceparent });
  });
});
