import * as z from 'zod';
import { ConfigError, formatIssues } from './config-error.ts';
import { defaultLocalKeyFile } from './local-key.ts';

/** A client allowed to call the server: its name (part of every conversation's owner) and its key. */
export interface ApiKeyEntry {
  client: string;
  key: string;
}

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v?.trim() ? v.trim() : undefined));

/** How long streamed text after a turn's first gathers before it is written (STREAM_FLUSH_MS). */
export const DEFAULT_STREAM_FLUSH_MS = 25;

const int = (def: number, min: number, max: number) => z.coerce.number().int().min(min).max(max).default(def);

const apiKeys = z
  .string()
  .optional()
  .transform((raw, ctx): ApiKeyEntry[] => {
    const entries: ApiKeyEntry[] = [];
    for (const [index, part] of (raw ?? '').split(',').entries()) {
      const item = part.trim();
      if (!item) continue;
      const eq = item.indexOf('=');
      const client = eq > 0 ? item.slice(0, eq).trim() : `client${index + 1}`;
      const key = eq > 0 ? item.slice(eq + 1).trim() : item;
      if (!/^[A-Za-z0-9_.-]{1,64}$/.test(client)) {
        ctx.addIssue({
          code: 'custom',
          message: `entry ${index + 1}: client name must match [A-Za-z0-9_.-]{1,64}`,
        });
      } else if (key.length < 16) {
        ctx.addIssue({
          code: 'custom',
          message: `entry ${index + 1} (${client}): key must be at least 16 characters`,
        });
      } else {
        entries.push({ client, key });
      }
    }
    return entries;
  });

const schema = z.object({
  PORT: int(8080, 0, 65535),
  HOST: optionalString,
  API_KEYS: apiKeys,
  DATA_DIR: z.string().default('./data'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  OPENAI_API_KEY: optionalString,
  OPENAI_BASE_URL: z.url().optional(),
  OPENAI_MODEL: z.string().min(1).default('gpt-4o-mini'),
  OPENAI_TIMEOUT_MS: int(60_000, 1_000, 600_000),
  OPENAI_MAX_RETRIES: int(2, 0, 10),
  // Below the bot's and the CLI's RPC deadline (120 s), so they hear the answer, not their own timeout.
  TURN_TIMEOUT_MS: int(90_000, 1_000, 600_000),
  SYSTEM_PROMPT: optionalString,
  MAX_MESSAGE_CHARS: int(8_000, 1, 100_000),
  MAX_BODY_BYTES: int(1_048_576, 1_024, 16_777_216),
  SESSION_TTL_SECONDS: int(1_800, 10, 30 * 86_400),
  CONTEXT_MAX_MESSAGES: int(60, 2, 1_000),
  CONTEXT_TOKEN_BUDGET: int(6_000, 500, 1_000_000),
  SUMMARIZE_AFTER: int(10, 1, 1_000),
  GENERATE_TITLES: z
    .enum(['true', 'false', '1', '0'])
    .default('true')
    .transform((v) => v === 'true' || v === '1'),
  TOOLS: optionalString,
  TOOL_TIMEOUT_MS: int(10_000, 100, 120_000),
  MAX_TOOL_ROUNDS: int(5, 0, 20),
  WEATHER_API_URL: z.url().default('https://api.weatherapi.com'),
  WEATHER_API_KEY: optionalString,
  HOLIDAYS_API_URL: z.url().default('https://date.nager.at'),
  REDIS_URL: z.url().optional(),
  REDIS_KEY_PREFIX: z.string().default('parley:'),
  MONGODB_URL: z.string().startsWith('mongodb').optional(),
  MONGODB_DB: z.string().min(1).default('parley'),
  SHUTDOWN_TIMEOUT_MS: int(10_000, 0, 120_000),
  VISION_MODELS: z.string().default('gpt-4o,gpt-4o-mini,gpt-4.1,gpt-4.1-mini,gpt-4.1-nano'),
  TRANSCRIPTION_MODEL: z.string().trim().min(1).default('whisper-1'),
  TRANSCRIPTION_BASE_URL: z.url().optional(),
  TRANSCRIPTION_API_KEY: optionalString,
  DOCUMENT_MAX_CHARS: int(12_000, 100, 1_000_000),
  WORKERS: z.union([z.literal('auto'), int(1, 1, 64)]).default(1),
  ACCEPT_SOCKETS: int(8, 1, 64),
  STREAM_FLUSH_MS: int(DEFAULT_STREAM_FLUSH_MS, 1, 1_000),
  METRICS_TOKEN: optionalString.refine((v) => v === undefined || v.length >= 16, {
    message: 'must be at least 16 characters',
  }),
});

type Parsed = z.infer<typeof schema>;

/** The variables the server schema reads; `config-variables.test.ts` holds the docs' tables to them. */
export const SERVER_SCHEMA_KEYS: readonly string[] = Object.keys(schema.shape);

/** The server's validated configuration. */
export interface ServerConfig {
  port: number;
  /** Where to listen. Defaults to all interfaces with API keys, loopback only without. */
  host: string;
  apiKeys: ApiKeyEntry[];
  /** Where a keyless local server keeps its generated key (read by the CLI too). */
  localKeyFile: string;
  dataDir: string;
  logLevel: Parsed['LOG_LEVEL'];
  openai: {
    apiKey?: string;
    baseUrl?: string;
    model: string;
    timeoutMs: number;
    maxRetries: number;
  };
  systemPrompt: string;
  /** One deadline for a whole turn: every model call, retry and tool round inside it. */
  turnTimeoutMs: number;
  limits: { maxMessageChars: number; maxBodyBytes: number };
  assistant: {
    /** Most recent messages read per turn. */
    windowMessages: number;
    contextBudgetTokens: number;
    summarizeAfter: number;
    generateTitles: boolean;
    maxToolRounds: number;
  };
  tools: {
    /** Names of the enabled tools; undefined = every built-in tool. */
    enabled?: string[];
    timeoutMs: number;
    weather: { baseUrl: string; apiKey?: string };
    holidays: { baseUrl: string };
  };
  /** Set to use Redis for sessions, locks, idempotency and caches (required with several replicas). */
  redis?: { url: string; keyPrefix: string };
  /** Set to keep conversations in MongoDB instead of the embedded SQLite file. */
  mongodb?: { url: string; dbName: string };
  sessionTtlSeconds: number;
  shutdownTimeoutMs: number;
  /**
   * Server processes on this machine, sharing one port (`auto`: one per core). With more than one, what
   * they must agree on (sessions, locks, idempotency, rate limits) lives in Redis, or else in SQLite
   * files under DATA_DIR.
   */
  workers: number | 'auto';
  /**
   * Listening sockets per server process on PORT (SO_REUSEPORT): Node accepts one connection per socket
   * per event-loop iteration, so a busy process takes a burst of new connections this many times faster.
   * With 1 (or where the platform has no SO_REUSEPORT) one socket listens, and a pool's primary hands
   * each connection to a worker.
   */
  acceptSockets: number;
  /**
   * A streamed reply's text arriving after its first piece is written at most this often (one write
   * for all of it): shorter is smoother, longer costs less CPU a piece. The first text never waits.
   */
  streamFlushMs: number;
  /** `/metrics` asks for `Authorization: Bearer <token>` when a token is set; it is open otherwise. */
  metrics: { token?: string };
  attachments: {
    /** Models that can see images; any other model refuses a message with an image. */
    visionModels: string[];
    /** Speech to text through the OpenAI transcription API (or a compatible server). */
    transcription: { model: string; baseUrl?: string; apiKey?: string };
    /** Text of a message's documents that goes into the prompt; more is cut off (and said so). */
    documentMaxChars: number;
  };
}

export const DEFAULT_SYSTEM_PROMPT =
  'You are Parley, a helpful assistant reachable from chat apps, terminals and other services. ' +
  'Answer clearly and concisely.';

/** Validates the environment once; throws {@link ConfigError} listing every problem. Pure. */
export function loadServerConfig(env: Record<string, string | undefined>): Readonly<ServerConfig> {
  const result = schema.safeParse(env);
  if (!result.success) throw new ConfigError(formatIssues(result.error));
  const e = result.data;
  const problems: string[] = [];
  const clients = new Set<string>();
  for (const { client } of e.API_KEYS) {
    if (clients.has(client)) problems.push(`API_KEYS: client name "${client}" appears twice`);
    clients.add(client);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const openai: ServerConfig['openai'] = {
    model: e.OPENAI_MODEL,
    timeoutMs: e.OPENAI_TIMEOUT_MS,
    maxRetries: e.OPENAI_MAX_RETRIES,
  };
  if (e.OPENAI_API_KEY) openai.apiKey = e.OPENAI_API_KEY;
  if (e.OPENAI_BASE_URL) openai.baseUrl = e.OPENAI_BASE_URL;
  return Object.freeze({
    port: e.PORT,
    host: e.HOST ?? (e.API_KEYS.length > 0 ? '0.0.0.0' : '127.0.0.1'),
    apiKeys: e.API_KEYS,
    localKeyFile: defaultLocalKeyFile(env),
    dataDir: e.DATA_DIR,
    logLevel: e.LOG_LEVEL,
    openai,
    systemPrompt: e.SYSTEM_PROMPT ?? DEFAULT_SYSTEM_PROMPT,
    turnTimeoutMs: e.TURN_TIMEOUT_MS,
    limits: { maxMessageChars: e.MAX_MESSAGE_CHARS, maxBodyBytes: e.MAX_BODY_BYTES },
    assistant: {
      windowMessages: e.CONTEXT_MAX_MESSAGES,
      contextBudgetTokens: e.CONTEXT_TOKEN_BUDGET,
      summarizeAfter: e.SUMMARIZE_AFTER,
      generateTitles: e.GENERATE_TITLES,
      maxToolRounds: e.MAX_TOOL_ROUNDS,
    },
    tools: {
      ...(e.TOOLS
        ? {
            enabled:
              e.TOOLS === 'none'
                ? []
                : e.TOOLS.split(',')
                    .map((t) => t.trim())
                    .filter(Boolean),
          }
        : {}),
      timeoutMs: e.TOOL_TIMEOUT_MS,
      weather: { baseUrl: e.WEATHER_API_URL, ...(e.WEATHER_API_KEY ? { apiKey: e.WEATHER_API_KEY } : {}) },
      holidays: { baseUrl: e.HOLIDAYS_API_URL },
    },
    ...(e.REDIS_URL ? { redis: { url: e.REDIS_URL, keyPrefix: e.REDIS_KEY_PREFIX } } : {}),
    ...(e.MONGODB_URL ? { mongodb: { url: e.MONGODB_URL, dbName: e.MONGODB_DB } } : {}),
    sessionTtlSeconds: e.SESSION_TTL_SECONDS,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    workers: e.WORKERS,
    acceptSockets: e.ACCEPT_SOCKETS,
    streamFlushMs: e.STREAM_FLUSH_MS,
    metrics: e.METRICS_TOKEN ? { token: e.METRICS_TOKEN } : {},
    attachments: {
      visionModels: e.VISION_MODELS.split(',')
        .map((m) => m.trim())
        .filter(Boolean),
      transcription: {
        model: e.TRANSCRIPTION_MODEL,
        ...((e.TRANSCRIPTION_BASE_URL ?? e.OPENAI_BASE_URL)
          ? { baseUrl: e.TRANSCRIPTION_BASE_URL ?? e.OPENAI_BASE_URL }
          : {}),
        ...((e.TRANSCRIPTION_API_KEY ?? e.OPENAI_API_KEY)
          ? { apiKey: e.TRANSCRIPTION_API_KEY ?? e.OPENAI_API_KEY }
          : {}),
      },
      documentMaxChars: e.DOCUMENT_MAX_CHARS,
    },
  });
}
