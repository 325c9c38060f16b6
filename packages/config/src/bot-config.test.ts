import { describe, expect, it } from 'vitest';
import { loadBotConfig } from './bot-config.ts';
import { ConfigError, redact } from './config-error.ts';

const TOKEN = '123456:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw';

function problemsOf(env: Record<string, string | undefined>): string[] {
  try {
    loadBotConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loadBotConfig', () => {
  it('runs on defaults: long polling against a local server with the local key file', () => {
    const config = loadBotConfig({ TELEGRAM_BOT_TOKEN: TOKEN, HOME: '/home/me' });
    expect(config).toMatchObject({
      telegram: { token: TOKEN },
      parley: {
        url: 'http://127.0.0.1:8080',
        timeoutMs: 120_000,
        credentials: { kind: 'local-key-file', path: '/home/me/.config/parley/local-api-key' },
      },
      allowedUsers: { ids: [], usernames: [] },
      mode: { kind: 'polling' },
      showTools: true,
      logLevel: 'info',
    });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.parley)).toBe(true);
  });

  it('reads the allowlist as ids and lower-cased usernames', () => {
    const config = loadBotConfig({ TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_ALLOWED_USERS: ' 42, @Alice_B ,,7' });
    expect(config.allowedUsers).toEqual({ ids: ['42', '7'], usernames: ['alice_b'] });
  });

  it('switches to webhook mode with a URL and a secret, serving the URL path', () => {
    const config = loadBotConfig({
      TELEGRAM_BOT_TOKEN: TOKEN,
      TELEGRAM_WEBHOOK_URL: 'https://bot.example.com/telegram/hook',
      TELEGRAM_WEBHOOK_SECRET: 'a-long-enough-secret_123',
      BOT_PORT: '9000',
      PARLEY_URL: 'https://parley.internal:8080/',
      PARLEY_API_KEY: 'bot-key-0123456789',
      TELEGRAM_SHOW_TOOLS: 'false',
      TELEGRAM_API_ROOT: 'http://127.0.0.1:9001/',
    });
    expect(config.mode).toEqual({
      kind: 'webhook',
      url: 'https://bot.example.com/telegram/hook',
      path: '/telegram/hook',
      secret: 'a-long-enough-secret_123',
      port: 9000,
      host: '0.0.0.0',
    });
    expect(config.parley).toMatchObject({
      url: 'https://parley.internal:8080',
      credentials: { kind: 'api-key', apiKey: 'bot-key-0123456789' },
    });
    expect(config.telegram.apiRoot).toBe('http://127.0.0.1:9001');
    expect(config.showTools).toBe(false);
  });

  it('lists every problem at once without echoing secrets', () => {
    const problems = problemsOf({
      TELEGRAM_BOT_TOKEN: 'not-a-token-SECRETVALUE',
      TELEGRAM_ALLOWED_USERS: '42,alice',
      TELEGRAM_WEBHOOK_URL: 'https://bot.example.com/hook',
      PARLEY_URL: 'https://parley.example.com',
      RPC_TIMEOUT_MS: 'soon',
      TELEGRAM_SHOW_TOOLS: 'maybe',
      LOG_LEVEL: 'loud',
    }).join('\n');
    for (const name of [
      'TELEGRAM_BOT_TOKEN',
      'TELEGRAM_ALLOWED_USERS',
      'TELEGRAM_WEBHOOK_SECRET',
      'PARLEY_API_KEY',
      'RPC_TIMEOUT_MS',
      'TELEGRAM_SHOW_TOOLS',
      'LOG_LEVEL',
    ]) {
      expect(problems).toContain(name);
    }
    expect(problems).not.toContain('SECRETVALUE');
  });

  it('requires a token', () => {
    expect(problemsOf({}).join('\n')).toMatch(/TELEGRAM_BOT_TOKEN: is required/);
  });

  it('refuses a plain-http webhook URL unless it is on loopback', () => {
    const base = { TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_WEBHOOK_SECRET: 'a-long-enough-secret_123' };
    expect(problemsOf({ ...base, TELEGRAM_WEBHOOK_URL: 'http://bot.example.com/hook' }).join()).toMatch(
      /must use https/,
    );
    expect(loadBotConfig({ ...base, TELEGRAM_WEBHOOK_URL: 'http://127.0.0.1:8443/hook' }).mode.kind).toBe(
      'webhook',
    );
  });

  it('prints redacted', () => {
    const config = loadBotConfig({
      TELEGRAM_BOT_TOKEN: TOKEN,
      PARLEY_API_KEY: 'bot-key-0123456789',
      TELEGRAM_WEBHOOK_URL: 'https://bot.example.com/hook',
      TELEGRAM_WEBHOOK_SECRET: 'a-long-enough-secret_123',
    });
    const printed = JSON.stringify(redact(config));
    for (const secret of [TOKEN, 'bot-key-0123456789', 'a-long-enough-secret_123']) {
      expect(printed).not.toContain(secret);
    }
  });
});
