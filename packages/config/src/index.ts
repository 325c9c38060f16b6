export { type AllowedUsers, type BotConfig, type BotMode, loadBotConfig } from './bot-config.ts';
export { ConfigError, formatIssues, redact } from './config-error.ts';
export { defaultLocalKeyFile } from './local-key.ts';
export {
  loadMcpConfig,
  type McpConfigSources,
  type McpHttpServerConfig,
  type McpServerConfig,
  type McpStdioServerConfig,
} from './mcp-config.ts';
export {
  type BudgetLimit,
  type Budgets,
  type ClientPolicy,
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
  DEFAULT_SYSTEM_PROMPT,
  loadServerConfig,
  type ServerConfig,
} from './server-config.ts';
