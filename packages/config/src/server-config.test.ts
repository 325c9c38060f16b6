import { describe, expect, it } from 'vitest';
import { ConfigError, redact } from './config-error.ts';
import { loadServerConfig } from './server-config.ts';

describe('loadServerConfig', () => {
  it('runs on defaults: loopback only, embedded data dir', () => {
    const config = loadServerConfig({ HOME: '/home/me' });
    expect(config).toMatchObject({ port: 8080, host: '127.0.0.1', apiKeys: [], dataDir: './data' });
    expect(config.localKeyFile).toBe('/home/me/.config/parley/local-api-key');
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('listens on all interfaces once API keys are set, naming the clients', () => {
    const config = loadServerConfig({ API_KEYS: 'bot=0123456789abcdef0,cli=abcdef0123456789x' });
    expect(config.host).toBe('0.0.0.0');
    expect(config.apiKeys.map((k) => k.client)).toEqual(['bot', 'cli']);
  });

  it('lists every problem at once without echoing secrets', () => {
    let error: unknown;
    try {
      loadServerConfig({
        PORT: 'eighty',
        API_KEYS: 'bot=short',
        OPENAI_BASE_URL: 'not a url',
        LOG_LEVEL: 'loud',
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const name of ['PORT', 'API_KEYS', 'OPENAI_BASE_URL', 'LOG_LEVEL']) expect(problems).toContain(name);
    expect(problems).not.toContain('short');
  });

  it('runs one server process unless WORKERS asks for more or for one per core', () => {
    expect(loadServerConfig({}).workers).toBe(1);
    expect(loadServerConfig({ WORKERS: '4' }).workers).toBe(4);
    expect(loadServerConfig({ WORKERS: 'auto' }).workers).toBe('auto');
    for (const bad of ['0', '65', 'many', '1.5']) {
      expect(() => loadServerConfig({ WORKERS: bad })).toThrow(/WORKERS/);
    }
  });

  it('writes streamed text every 25 ms unless STREAM_FLUSH_MS says otherwise, within 1 to 1000 ms', () => {
    expect(loadServerConfig({}).streamFlushMs).toBe(25);
    expect(loadServerConfig({ STREAM_FLUSH_MS: '60' }).streamFlushMs).toBe(60);
    for (const bad of ['0', '1001', 'soon']) {
      expect(() => loadServerConfig({ STREAM_FLUSH_MS: bad })).toThrow(/STREAM_FLUSH_MS/);
    }
  });

  it('protects /metrics only when METRICS_TOKEN is set, and refuses a short token', () => {
    expect(loadServerConfig({}).metrics).toEqual({});
    expect(loadServerConfig({ METRICS_TOKEN: 'scrape-0123456789abcdef' }).metrics).toEqual({
      token: 'scrape-0123456789abcdef',
    });
    expect(() => loadServerConfig({ METRICS_TOKEN: 'short' })).toThrow(/METRICS_TOKEN/);
    expect(redact(loadServerConfig({ METRICS_TOKEN: 'scrape-0123456789abcdef' }))).toMatchObject({
      metrics: { token: '[redacted]' },
    });
  });

  it('rejects a client name used twice', () => {
    expect(() => loadServerConfig({ API_KEYS: 'a=0123456789abcdef0,a=abcdef0123456789x' })).toThrow(
      /appears twice/,
    );
  });
});

describe('redact', () => {
  it('masks secrets and credentials inside URLs', () => {
    expect(
      redact({
        openai: { apiKey: 'sk-123', baseUrl: 'http://user:pw@host/v1' },
        apiKeys: [{ client: 'a', key: 'k' }],
      }),
    ).toEqual({
      openai: { apiKey: '[redacted]', baseUrl: 'http://user:[redacted]@host/v1' },
      apiKeys: [{ client: 'a', key: 'k' }].map(() => ({ client: 'a', key: '[redacted]' })),
    });
  });
});
