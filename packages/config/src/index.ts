export {
  type AllowedUsers,
  BOT_SCHEMA_KEYS,
  type BotConfig,
  type BotMode,
  loadBotConfig,
} from './bot-config.ts';
export { ConfigError, formatIssues, redact } from './config-error.ts';
export {
  BOT_VARIABLES,
  CLI_VARIABLES,
  type ConfigVariable,
  MCP_VARIABLES,
  POLICY_VARIABLES,
  SERVER_VARIABLES,
} from './config-variables.ts';
export { defaultLocalKeyFile } from './local-key.ts';
export {
  loadMcpConfig,
  type McpConfigSources,
  type McpHttpServerConfig,
  type McpServerConfig,
  type McpStdioServerConfig,
} from './mcp-config.ts';
export {
  type AttachmentPolicy,
  type BudgetLimit,
  type Budgets,
  type ClientPolicy,
  DEFAULT_ATTACHMENTS,
  LOCAL_CLIENT,
  loadPolicyConfig,
  type ModelPrice,
  type PolicyConfig,
  type PolicyConfigOptions,
  permissiveLocalPolicy,
  type RateLimits,
} from './policy-config.ts';
export {
  type ApiKeyEntry,
  DEFAULT_STREAM_FLUSH_MS,
  DEFAULT_SYSTEM_PROMPT,
  loadServerConfig,
  SERVER_SCHEMA_KEYS,
  type ServerConfig,
} from './server-config.ts';
