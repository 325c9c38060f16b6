/**
 * One environment variable as the docs/ pages and .env.example present it. A test holds these tables to the
 * zod schemas (every variable, and each default is what leaving the variable unset does) and holds the
 * docs to these tables, so none of the three can drift.
 */
export interface ConfigVariable {
  name: string;
  /** The value that behaves exactly like leaving the variable unset, written as in an env file. */
  default?: string;
  /** The docs' default column when the default is computed or there is none ("(required)", "OpenAI"). */
  defaultNote?: string;
}

const LOCAL_KEY_FILE: ConfigVariable = {
  name: 'PARLEY_LOCAL_KEY_FILE',
  defaultNote: '`~/.config/parley/local-api-key`',
};

/** Read by the server (`loadServerConfig`). */
export const SERVER_VARIABLES: readonly ConfigVariable[] = [
  { name: 'PORT', default: '8080' },
  { name: 'HOST', defaultNote: '`0.0.0.0` with `API_KEYS`, else `127.0.0.1`' },
  { name: 'API_KEYS', defaultNote: '(none: loopback + generated local key)' },
  { name: 'MAX_BODY_BYTES', default: '1048576' },
  { name: 'MAX_MESSAGE_CHARS', default: '8000' },
  { name: 'OPENAI_API_KEY', defaultNote: '(none)' },
  { name: 'OPENAI_BASE_URL', defaultNote: 'OpenAI' },
  { name: 'OPENAI_MODEL', default: 'gpt-4o-mini' },
  { name: 'OPENAI_TIMEOUT_MS', default: '60000' },
  { name: 'OPENAI_MAX_RETRIES', default: '2' },
  { name: 'TURN_TIMEOUT_MS', default: '90000' },
  { name: 'SYSTEM_PROMPT', defaultNote: 'a short default' },
  { name: 'CONTEXT_MAX_MESSAGES', default: '60' },
  { name: 'CONTEXT_TOKEN_BUDGET', default: '6000' },
  { name: 'SUMMARIZE_AFTER', default: '10' },
  { name: 'GENERATE_TITLES', default: 'true' },
  { name: 'DATA_DIR', default: './data' },
  { name: 'SESSION_TTL_SECONDS', default: '1800' },
  { name: 'LOG_LEVEL', default: 'info' },
  { name: 'SHUTDOWN_TIMEOUT_MS', default: '10000' },
  { name: 'WORKERS', default: '1' },
  { name: 'ACCEPT_SOCKETS', default: '8' },
  { name: 'STREAM_FLUSH_MS', default: '25' },
  LOCAL_KEY_FILE,
  { name: 'REDIS_URL', defaultNote: '(none: in-process)' },
  { name: 'REDIS_KEY_PREFIX', default: 'parley:' },
  { name: 'MONGODB_URL', defaultNote: '(none: embedded SQLite)' },
  { name: 'MONGODB_DB', default: 'parley' },
  { name: 'TOOLS', defaultNote: 'every built-in tool' },
  { name: 'TOOL_TIMEOUT_MS', default: '10000' },
  { name: 'MAX_TOOL_ROUNDS', default: '5' },
  { name: 'WEATHER_API_KEY', defaultNote: '(none: no `get_weather`)' },
  { name: 'WEATHER_API_URL', default: 'https://api.weatherapi.com' },
  { name: 'HOLIDAYS_API_URL', default: 'https://date.nager.at' },
  { name: 'METRICS_TOKEN', defaultNote: '(none: `/metrics` is open)' },
  { name: 'VISION_MODELS', default: 'gpt-4o,gpt-4o-mini,gpt-4.1,gpt-4.1-mini,gpt-4.1-nano' },
  { name: 'TRANSCRIPTION_MODEL', default: 'whisper-1' },
  { name: 'TRANSCRIPTION_BASE_URL', defaultNote: '`OPENAI_BASE_URL`' },
  { name: 'TRANSCRIPTION_API_KEY', defaultNote: '`OPENAI_API_KEY`' },
  { name: 'DOCUMENT_MAX_CHARS', default: '12000' },
];

/** Read by the Telegram bot (`loadBotConfig`). */
export const BOT_VARIABLES: readonly ConfigVariable[] = [
  { name: 'TELEGRAM_BOT_TOKEN', defaultNote: '(required)' },
  { name: 'PARLEY_URL', default: 'http://127.0.0.1:8080' },
  { name: 'PARLEY_API_KEY', defaultNote: 'local key file on loopback' },
  LOCAL_KEY_FILE,
  { name: 'TELEGRAM_ALLOWED_USERS', defaultNote: 'everyone' },
  { name: 'TELEGRAM_WEBHOOK_URL', defaultNote: 'long polling' },
  { name: 'TELEGRAM_WEBHOOK_SECRET', defaultNote: '(none)' },
  { name: 'BOT_PORT', defaultNote: '`8081` in webhook mode, else none' },
  { name: 'BOT_HOST', default: '0.0.0.0' },
  { name: 'RPC_TIMEOUT_MS', default: '120000' },
  { name: 'TELEGRAM_SHOW_TOOLS', default: 'true' },
  { name: 'TELEGRAM_API_ROOT', defaultNote: 'Telegram’s' },
  { name: 'LOG_LEVEL', default: 'info' },
];

/** Read by the `parley` CLI (which has no schema of its own: it reads these few directly). */
export const CLI_VARIABLES: readonly ConfigVariable[] = [
  { name: 'PARLEY_URL', default: 'http://127.0.0.1:8080' },
  { name: 'PARLEY_API_KEY', defaultNote: 'local key file on loopback' },
  { name: 'PARLEY_USER', defaultNote: 'your login name' },
  LOCAL_KEY_FILE,
  { name: 'TRACEPARENT', defaultNote: '(none)' },
  { name: 'TRACESTATE', defaultNote: '(none)' },
];

/** Read by the server's MCP configuration (`loadMcpConfig`). */
export const MCP_VARIABLES: readonly ConfigVariable[] = [
  { name: 'MCP_CONFIG', defaultNote: '(none)' },
  { name: 'MCP_SERVERS', defaultNote: '(none)' },
];

/** Read by the server's client policy (`loadPolicyConfig`): defaults for every client. */
export const POLICY_VARIABLES: readonly ConfigVariable[] = [
  { name: 'POLICY_FILE', defaultNote: '(none)' },
  { name: 'ADMIN_CLIENTS', defaultNote: '(none)' },
  { name: 'ALLOWED_MODELS', defaultNote: '`OPENAI_MODEL` only' },
  { name: 'CLIENT_SYSTEM_PROMPT', default: 'deny' },
  { name: 'TOOL_SOURCES', default: '*' },
  { name: 'RATE_LIMIT_USER_TURNS_PER_MINUTE', defaultNote: '(none: unlimited)' },
  { name: 'RATE_LIMIT_CLIENT_TURNS_PER_MINUTE', defaultNote: '(none: unlimited)' },
  { name: 'RATE_LIMIT_USER_CONVERSATIONS_PER_DAY', defaultNote: '(none: unlimited)' },
  { name: 'BUDGET_DAILY_TOKENS', defaultNote: '(none: unlimited)' },
  { name: 'BUDGET_MONTHLY_TOKENS', defaultNote: '(none: unlimited)' },
  { name: 'BUDGET_DAILY_COST', defaultNote: '(none: unlimited)' },
  { name: 'BUDGET_MONTHLY_COST', defaultNote: '(none: unlimited)' },
  { name: 'MODEL_PRICES', defaultNote: '(none)' },
  { name: 'PRICE_CURRENCY', default: 'USD' },
  { name: 'ATTACHMENT_KINDS', default: 'image,audio,document' },
  { name: 'ATTACHMENT_MAX_BYTES', default: '20971520' },
  { name: 'ATTACHMENT_MAX_TURN_BYTES', default: '26214400' },
  { name: 'ATTACHMENT_MAX_COUNT', default: '10' },
];
