import * as z from 'zod';
import { ConfigError, formatIssues } from './config-error.ts';
import { defaultLocalKeyFile } from './local-key.ts';

/** Who may talk to the bot; both lists empty means everyone. */
export interface AllowedUsers {
  /** Numeric Telegram user ids, as strings. */
  ids: readonly string[];
  /** Usernames without the `@`, lower-cased (Telegram usernames are case-insensitive). */
  usernames: readonly string[];
}

/** How updates arrive: the bot asks Telegram (one replica), or Telegram posts to us (many replicas). */
export type BotMode =
  | { kind: 'polling' /** Serves /health and /metrics when set. */; port?: number; host: string }
  | { kind: 'webhook'; url: string; path: string; secret: string; port: number; host: string };

/** How the bot proves itself to the server: its own key, or the key a keyless local server wrote. */
export type ParleyCredentials =
  | { kind: 'api-key'; apiKey: string }
  | { kind: 'local-key-file'; path: string };

/** The bot's validated configuration. */
export interface BotConfig {
  telegram: { token: string; apiRoot?: string };
  parley: { url: string; credentials: ParleyCredentials; timeoutMs: number };
  allowedUsers: AllowedUsers;
  mode: BotMode;
  showTools: boolean;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v?.trim() ? v.trim() : undefined));

const optionalUrl = optionalString.pipe(z.url({ protocol: /^https?$/ }).optional());

const port = z.coerce.number().int().min(0).max(65535);

const booleanFlag = z
  .string()
  .optional()
  .transform((v, ctx) => {
    const value = v?.trim().toLowerCase() ?? '';
    if (value === '') return true;
    if (['1', 'true', 'yes', 'on'].includes(value)) return true;
    if (['0', 'false', 'no', 'off'].includes(value)) return false;
    ctx.addIssue({ code: 'custom', message: 'must be true or false' });
    return true;
  });

const allowedUsers = z
  .string()
  .optional()
  .transform((raw, ctx): AllowedUsers => {
    const ids: string[] = [];
    const usernames: string[] = [];
    for (const [index, part] of (raw ?? '').split(',').entries()) {
      const item = part.trim();
      if (!item) continue;
      if (/^\d{1,20}$/.test(item)) ids.push(item);
      else if (/^@[A-Za-z0-9_]{3,32}$/.test(item)) usernames.push(item.slice(1).toLowerCase());
      else
        ctx.addIssue({ code: 'custom', message: `entry ${index + 1} is neither a user id nor an @username` });
    }
    return { ids, usernames };
  });

const schema = z.object({
  // Tokens look like `123456:AA…`; the value itself is never echoed in a problem.
  TELEGRAM_BOT_TOKEN: z
    .string({ error: 'is required' })
    .trim()
    .regex(/^\d+:[A-Za-z0-9_-]+$/, 'does not look like a bot token (digits:letters)'),
  TELEGRAM_API_ROOT: optionalUrl,
  TELEGRAM_ALLOWED_USERS: allowedUsers,
  TELEGRAM_WEBHOOK_URL: optionalUrl,
  TELEGRAM_WEBHOOK_SECRET: optionalString.pipe(
    z
      .string()
      .regex(/^[A-Za-z0-9_-]{16,256}$/, 'must be 16-256 characters of A-Z, a-z, 0-9, _ and -')
      .optional(),
  ),
  TELEGRAM_SHOW_TOOLS: booleanFlag,
  BOT_PORT: z.preprocess((v) => (typeof v === 'string' && !v.trim() ? undefined : v), port.optional()),
  BOT_HOST: z.string().trim().min(1).default('0.0.0.0'),
  PARLEY_URL: z.url({ protocol: /^https?$/ }).default('http://127.0.0.1:8080'),
  PARLEY_API_KEY: optionalString,
  RPC_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(600_000).default(120_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

type Parsed = z.infer<typeof schema>;

/** The variables the bot schema reads; `config-variables.test.ts` holds the docs' tables to them. */
export const BOT_SCHEMA_KEYS: readonly string[] = Object.keys(schema.shape);

const DEFAULT_WEBHOOK_PORT = 8081;

/**
 * Validates the bot's environment once; throws {@link ConfigError} listing every problem (zod's and the
 * cross-field ones together), never a secret. Pure: a local key file is named here and read by main.
 */
export function loadBotConfig(env: Record<string, string | undefined>): Readonly<BotConfig> {
  const result = schema.safeParse(env);
  if (!result.success) {
    const problems = formatIssues(result.error);
    // Cross-field checks still run on the raw values so one pass reports everything.
    throw new ConfigError([...problems, ...crossFieldProblems(env, undefined)]);
  }
  const e = result.data;
  const problems = crossFieldProblems(env, e);
  if (problems.length > 0) throw new ConfigError(problems);
  const telegram: BotConfig['telegram'] = { token: e.TELEGRAM_BOT_TOKEN };
  if (e.TELEGRAM_API_ROOT) telegram.apiRoot = e.TELEGRAM_API_ROOT.replace(/\/+$/, '');
  return deepFreeze({
    telegram,
    parley: {
      url: e.PARLEY_URL.replace(/\/+$/, ''),
      credentials: credentials(env, e),
      timeoutMs: e.RPC_TIMEOUT_MS,
    },
    allowedUsers: e.TELEGRAM_ALLOWED_USERS,
    mode: mode(e),
    showTools: e.TELEGRAM_SHOW_TOOLS,
    logLevel: e.LOG_LEVEL,
  });
}

function crossFieldProblems(env: Record<string, string | undefined>, e: Parsed | undefined): string[] {
  const problems: string[] = [];
  const url = env.TELEGRAM_WEBHOOK_URL?.trim();
  const secret = env.TELEGRAM_WEBHOOK_SECRET?.trim();
  if (url && !secret) problems.push('TELEGRAM_WEBHOOK_SECRET: is required with TELEGRAM_WEBHOOK_URL');
  if (secret && !url) problems.push('TELEGRAM_WEBHOOK_URL: is required with TELEGRAM_WEBHOOK_SECRET');
  if (e?.TELEGRAM_WEBHOOK_URL) {
    const parsed = new URL(e.TELEGRAM_WEBHOOK_URL);
    // Telegram only posts to https; plain http is accepted for a local emulator.
    if (parsed.protocol !== 'https:' && !isLoopback(parsed.hostname)) {
      problems.push('TELEGRAM_WEBHOOK_URL: must use https (Telegram posts to https only)');
    }
  }
  const parleyUrl = e?.PARLEY_URL ?? env.PARLEY_URL ?? 'http://127.0.0.1:8080';
  if (!env.PARLEY_API_KEY?.trim() && !isLoopbackUrl(parleyUrl)) {
    problems.push('PARLEY_API_KEY: is required when PARLEY_URL is not on this machine');
  }
  return problems;
}

function credentials(env: Record<string, string | undefined>, e: Parsed): ParleyCredentials {
  if (e.PARLEY_API_KEY) return { kind: 'api-key', apiKey: e.PARLEY_API_KEY };
  return { kind: 'local-key-file', path: defaultLocalKeyFile(env) };
}

function mode(e: Parsed): BotMode {
  if (e.TELEGRAM_WEBHOOK_URL && e.TELEGRAM_WEBHOOK_SECRET) {
    return {
      kind: 'webhook',
      url: e.TELEGRAM_WEBHOOK_URL,
      // Telegram posts to the URL as given; telegraf compares the request target (path and query).
      path: webhookPath(e.TELEGRAM_WEBHOOK_URL),
      secret: e.TELEGRAM_WEBHOOK_SECRET,
      port: e.BOT_PORT ?? DEFAULT_WEBHOOK_PORT,
      host: e.BOT_HOST,
    };
  }
  return e.BOT_PORT === undefined
    ? { kind: 'polling', host: e.BOT_HOST }
    : { kind: 'polling', port: e.BOT_PORT, host: e.BOT_HOST };
}

function webhookPath(url: string): string {
  const parsed = new URL(url);
  return parsed.pathname + parsed.search;
}

function isLoopbackUrl(url: string): boolean {
  try {
    return isLoopback(new URL(url).hostname);
  } catch {
    return false;
  }
}

function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

function deepFreeze<T>(value: T): Readonly<T> {
  if (value && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
