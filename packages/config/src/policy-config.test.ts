import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError } from './config-error.ts';
import { loadPolicyConfig } from './policy-config.ts';

const defaultModel = 'gpt-4o-mini';
const files = (text: string) => (path: string) => {
  if (path !== '/etc/parley/policy.yaml') throw new Error(`ENOENT: no such file, open '${path}'`);
  return text;
};

function problemsOf(run: () => unknown): string[] {
  try {
    run();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loadPolicyConfig', () => {
  it('reads attachment rules from the environment and a client entry, and per-minute prices', () => {
    const config = loadPolicyConfig(
      {
        POLICY_FILE: 'policy.yaml',
        ATTACHMENT_KINDS: 'image,document',
        ATTACHMENT_MAX_BYTES: '1000',
        MODEL_PRICES: 'whisper-1=0.006/min,gpt-4o-mini=0.15/0.60',
      },
      {
        clients: ['bot', 'cli'],
        defaultModel,
        readFile: () =>
          'clients:\n  cli: { attachments: { kinds: [audio], max_count: 2 } }\n' +
          'prices:\n  local-whisper: { per_minute: 0.001 }\n',
      },
    );
    expect(config.clients.bot?.attachments).toEqual({
      kinds: ['image', 'document'],
      maxBytes: 1000,
      maxTurnBytes: 25 * 1024 * 1024,
      maxCount: 10,
    });
    expect(config.clients.cli?.attachments).toMatchObject({ kinds: ['audio'], maxBytes: 1000, maxCount: 2 });
    expect(config.prices['whisper-1']).toEqual({ input: 0, output: 0, perMinute: 0.006 });
    expect(config.prices['local-whisper']).toEqual({ input: 0, output: 0, perMinute: 0.001 });
    expect(() => loadPolicyConfig({ ATTACHMENT_KINDS: 'video' }, { clients: ['bot'], defaultModel })).toThrow(
      /ATTACHMENT_KINDS/,
    );
  });

  it('gives every client a closed policy by default: the default model only, no client prompt', () => {
    const config = loadPolicyConfig({}, { clients: ['bot', 'cli'], defaultModel });
    expect(Object.keys(config.clients)).toEqual(['bot', 'cli']);
    expect(config.clients.bot).toEqual({
      client: 'bot',
      role: 'user',
      models: [defaultModel],
      systemPrompt: 'deny',
      tools: ['*'],
      rateLimits: {},
      budgets: { daily: {}, monthly: {} },
      attachments: {
        kinds: ['image', 'audio', 'document'],
        maxBytes: 20 * 1024 * 1024,
        maxTurnBytes: 25 * 1024 * 1024,
        maxCount: 10,
      },
    });
    expect(config.currency).toBe('USD');
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('takes defaults for every client from the environment', () => {
    const config = loadPolicyConfig(
      {
        ADMIN_CLIENTS: 'ops',
        ALLOWED_MODELS: 'gpt-4o, gpt-4o-mini',
        CLIENT_SYSTEM_PROMPT: 'append',
        TOOL_SOURCES: 'builtin,mcp:github',
        RATE_LIMIT_USER_TURNS_PER_MINUTE: '20',
        RATE_LIMIT_CLIENT_TURNS_PER_MINUTE: '600',
        RATE_LIMIT_USER_CONVERSATIONS_PER_DAY: '50',
        BUDGET_DAILY_TOKENS: '100000',
        BUDGET_MONTHLY_COST: '12.5',
        MODEL_PRICES: 'gpt-4o-mini=0.15/0.60,gpt-4o=2.5/10',
        PRICE_CURRENCY: 'EUR',
      },
      { clients: ['bot', 'ops'], defaultModel },
    );
    expect(config.clients.bot).toMatchObject({
      role: 'user',
      models: ['gpt-4o', 'gpt-4o-mini'],
      systemPrompt: 'append',
      tools: ['builtin', 'mcp:github'],
      rateLimits: { userTurnsPerMinute: 20, clientTurnsPerMinute: 600, userConversationsPerDay: 50 },
      budgets: { daily: { tokens: 100_000 }, monthly: { costMicros: 12_500_000 } },
    });
    expect(config.clients.ops?.role).toBe('admin');
    expect(config.prices).toEqual({
      'gpt-4o-mini': { input: 0.15, output: 0.6 },
      'gpt-4o': { input: 2.5, output: 10 },
    });
    expect(config.currency).toBe('EUR');
  });

  it('layers a YAML file over the environment: defaults, then the client entry; null lifts a limit', () => {
    const yaml = `
defaults:
  models: [gpt-4o]
  rate_limits: { turns_per_minute_per_user: 10 }
  budgets:
    daily: { tokens: 50000, cost: 0.5 }
clients:
  ops:
    role: admin
    models: ["*"]
    rate_limits: { turns_per_minute_per_user: null }
    budgets: { daily: { tokens: null, cost: null } }
prices:
  gpt-4o: { input: 2.5, output: 10 }
  gpt-4o-mini: { input: 0.15, output: 0.6 }
`;
    const config = loadPolicyConfig(
      { POLICY_FILE: '/etc/parley/policy.yaml', RATE_LIMIT_USER_CONVERSATIONS_PER_DAY: '5' },
      { clients: ['bot', 'ops'], defaultModel, readFile: files(yaml) },
    );
    expect(config.clients.bot).toMatchObject({
      models: [defaultModel, 'gpt-4o'],
      rateLimits: { userTurnsPerMinute: 10, userConversationsPerDay: 5 },
      budgets: { daily: { tokens: 50_000, costMicros: 500_000 }, monthly: {} },
    });
    expect(config.clients.ops).toMatchObject({
      role: 'admin',
      models: 'any',
      rateLimits: { userConversationsPerDay: 5 },
      budgets: { daily: {}, monthly: {} },
    });
    expect(config.clients.ops?.rateLimits).not.toHaveProperty('userTurnsPerMinute');
  });

  it('loads the example policy file shipped in deploy/', () => {
    const path = fileURLToPath(new URL('../../../deploy/policy.example.yaml', import.meta.url));
    const config = loadPolicyConfig({ POLICY_FILE: path }, { clients: ['bot', 'cli', 'ops'], defaultModel });
    expect(config.clients.ops).toMatchObject({
      role: 'admin',
      models: 'any',
      budgets: { daily: {}, monthly: {} },
    });
    expect(config.clients.bot).toMatchObject({
      tools: ['builtin', 'mcp:*'],
      budgets: { daily: { tokens: 200_000, costMicros: 1_000_000 } },
    });
  });

  it('reads a JSON policy file with the same parser', () => {
    const json = JSON.stringify({ clients: { bot: { system_prompt: 'append', tools: ['builtin'] } } });
    const config = loadPolicyConfig(
      { POLICY_FILE: '/etc/parley/policy.yaml' },
      { clients: ['bot'], defaultModel, readFile: files(json) },
    );
    expect(config.clients.bot).toMatchObject({ systemPrompt: 'append', tools: ['builtin'] });
  });

  it('lists every problem of the file and the environment at once', () => {
    const yaml = `
defaults:
  role: root
  tools: [builtin, "http://evil"]
  rate_limits: { turns_per_minute_per_user: -1 }
clients:
  ghost: {}
  bot: { budgets: { monthly: { cost: 5 } }, models: [gpt-4o] }
unknown_key: 1
`;
    const problems = problemsOf(() =>
      loadPolicyConfig(
        { POLICY_FILE: '/etc/parley/policy.yaml', ADMIN_CLIENTS: 'nobody' },
        { clients: ['bot'], defaultModel, readFile: files(yaml) },
      ),
    );
    const text = problems.join('\n');
    expect(text).toContain('defaults.role');
    expect(text).toContain('defaults.tools.1');
    expect(text).toContain('defaults.rate_limits.turns_per_minute_per_user');
    expect(text).toContain('unknown_key');
    expect(text).toContain('ADMIN_CLIENTS: no API key names the client "nobody"');
  });

  it('refuses a file client without a key, and a cost budget without prices', () => {
    const yaml = 'clients:\n  ghost: {}\n  bot: { budgets: { monthly: { cost: 5 } }, models: [gpt-4o] }\n';
    const problems = problemsOf(() =>
      loadPolicyConfig(
        { POLICY_FILE: '/etc/parley/policy.yaml', MODEL_PRICES: 'gpt-4o=2.5/10' },
        { clients: ['bot'], defaultModel, readFile: files(yaml) },
      ),
    );
    expect(problems).toEqual([
      'POLICY_FILE: clients.ghost: no API key names this client',
      `client bot: a cost budget needs a price for model "${defaultModel}" (MODEL_PRICES or prices in POLICY_FILE)`,
    ]);
  });

  it('reports an unreadable or malformed file and bad environment values', () => {
    expect(
      problemsOf(() =>
        loadPolicyConfig(
          { POLICY_FILE: '/nope.yaml' },
          { clients: ['bot'], defaultModel, readFile: files('') },
        ),
      ),
    ).toEqual([expect.stringMatching(/^POLICY_FILE: cannot read \/nope\.yaml: ENOENT/)]);
    expect(
      problemsOf(() =>
        loadPolicyConfig(
          { POLICY_FILE: '/etc/parley/policy.yaml' },
          { clients: ['bot'], defaultModel, readFile: files('defaults: [unclosed') },
        ),
      ),
    ).toEqual([expect.stringMatching(/^POLICY_FILE: cannot read \/etc\/parley\/policy\.yaml: /)]);
    const problems = problemsOf(() =>
      loadPolicyConfig(
        { RATE_LIMIT_USER_TURNS_PER_MINUTE: 'ten', MODEL_PRICES: 'gpt-4o', TOOL_SOURCES: 'web' },
        { clients: ['bot'], defaultModel },
      ),
    );
    for (const name of ['RATE_LIMIT_USER_TURNS_PER_MINUTE', 'MODEL_PRICES', 'TOOL_SOURCES']) {
      expect(problems.some((p) => p.startsWith(name))).toBe(true);
    }
  });

  it('gives keyless local mode one permissive client, unless the file names it', () => {
    const local = loadPolicyConfig({ BUDGET_DAILY_TOKENS: '10' }, { clients: [], defaultModel });
    expect(local.clients).toEqual({
      local: expect.objectContaining({
        client: 'local',
        role: 'admin',
        models: 'any',
        systemPrompt: 'append',
      }),
    });
    expect(local.clients.local?.budgets).toEqual({ daily: {}, monthly: {} });
    const named = loadPolicyConfig(
      { POLICY_FILE: '/etc/parley/policy.yaml' },
      {
        clients: [],
        defaultModel,
        readFile: files('clients:\n  local: { budgets: { daily: { tokens: 1000 } } }\n'),
      },
    );
    expect(named.clients.local).toMatchObject({ role: 'user', budgets: { daily: { tokens: 1000 } } });
  });
});
