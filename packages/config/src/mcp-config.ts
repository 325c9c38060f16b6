import * as z from 'zod';
import { ConfigError } from './config-error.ts';

interface McpServerCommon {
  /** The server's name: the prefix of its tools' names (`<name>__<tool>`). */
  name: string;
  /** API-key client names that may use this server's tools; undefined = every client. */
  clients?: string[];
  /** Longest one call to this server's tools may take; undefined = the registry's TOOL_TIMEOUT_MS. */
  timeoutMs?: number;
}

/** A server the Parley server spawns and supervises, speaking MCP over the child's stdin/stdout. */
export interface McpStdioServerConfig extends McpServerCommon {
  transport: 'stdio';
  command: string;
  args: string[];
  /** Added to a small safe default environment (PATH, HOME…); values are secrets: never logged. */
  env: Record<string, string>;
  cwd?: string;
}

/** A server reached over MCP's streamable HTTP transport. */
export interface McpHttpServerConfig extends McpServerCommon {
  transport: 'http';
  url: string;
  /** Sent with every request; values are secrets (tokens): never logged. */
  headers: Record<string, string>;
}

export type McpServerConfig = McpStdioServerConfig | McpHttpServerConfig;

/** Where to read the file, injected so that loading stays testable without a disk. */
export interface McpConfigSources {
  readFile: (path: string) => string;
  /** Client names from API_KEYS; when given, a `clients` entry naming another client is a problem. */
  knownClients?: readonly string[];
}

// Server names become tool-name prefixes: models accept ^[a-zA-Z0-9_-]{1,64}$ for a whole tool name, and
// "__" separates server from tool, so a server name must not contain it and must leave room for the tool.
const SERVER_NAME = /^[A-Za-z0-9_-]{1,32}$/;
const CLIENT_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const ENV_REF = /\$\{(?:env:)?([A-Za-z_][A-Za-z0-9_]*)\}/g;

const common = {
  clients: z
    .array(z.string().regex(CLIENT_NAME, 'client names match [A-Za-z0-9_.-]{1,64}'))
    .min(1)
    .optional(),
  timeoutMs: z.number().int().min(100).max(600_000).optional(),
  disabled: z.boolean().optional(),
};

const stringMap = z.record(z.string().min(1), z.string());

const stdioSchema = z
  .object({
    type: z.literal('stdio').optional(),
    command: z.string().min(1),
    args: z.array(z.string()).default([]),
    env: stringMap.default({}),
    cwd: z.string().min(1).optional(),
    ...common,
  })
  .strict();

const httpSchema = z
  .object({
    type: z.enum(['http', 'streamable-http', 'streamableHttp']).optional(),
    url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
    headers: stringMap.default({}),
    ...common,
  })
  .strict();

/**
 * Reads MCP servers from `MCP_CONFIG` (path to a JSON file in the `{"mcpServers": {...}}` shape other MCP
 * clients use) and `MCP_SERVERS` (the same JSON inline, with or without the `mcpServers` wrapper).
 * `${VAR}` in header and env values is replaced from `env`. Throws {@link ConfigError} listing every
 * problem; no message ever contains a header or env value.
 */
export function loadMcpConfig(
  env: Record<string, string | undefined>,
  sources: McpConfigSources,
): readonly McpServerConfig[] {
  const problems: string[] = [];
  const servers: McpServerConfig[] = [];
  const seen = new Map<string, string>();
  const inputs: [string, string | undefined][] = [
    ['MCP_CONFIG', readConfigFile(env.MCP_CONFIG, sources, problems)],
    ['MCP_SERVERS', env.MCP_SERVERS?.trim() || undefined],
  ];
  for (const [origin, text] of inputs) {
    if (text === undefined) continue;
    for (const [name, raw] of entriesOf(origin, text, problems)) {
      const where = `${origin}: server "${name}"`;
      const previous = seen.get(name.toLowerCase());
      if (previous) problems.push(`${where}: the name is already used in ${previous}`);
      seen.set(name.toLowerCase(), origin);
      const server = parseServer(where, name, raw, env, sources.knownClients, problems);
      if (server) servers.push(server);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(servers);
}

function readConfigFile(path: string | undefined, sources: McpConfigSources, problems: string[]) {
  if (!path?.trim()) return undefined;
  try {
    return sources.readFile(path.trim());
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    problems.push(`MCP_CONFIG: cannot read ${path.trim()}${typeof code === 'string' ? ` (${code})` : ''}`);
    return undefined;
  }
}

function entriesOf(origin: string, text: string, problems: string[]): [string, unknown][] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // The parser's message quotes the text around the error, which may be a token: leave it out.
    problems.push(`${origin}: not valid JSON`);
    return [];
  }
  const root = isObject(json) && 'mcpServers' in json ? json.mcpServers : json;
  if (!isObject(root)) {
    problems.push(`${origin}: expected {"mcpServers": {"<name>": {...}}}`);
    return [];
  }
  return Object.entries(root);
}

function parseServer(
  where: string,
  name: string,
  raw: unknown,
  env: Record<string, string | undefined>,
  knownClients: readonly string[] | undefined,
  problems: string[],
): McpServerConfig | undefined {
  const before = problems.length;
  if (!SERVER_NAME.test(name) || name.includes('__')) {
    problems.push(`${where}: names match [A-Za-z0-9_-]{1,32} without "__" (they prefix tool names)`);
  }
  const parsed = parseShape(where, raw, problems);
  if (!parsed) return undefined;
  for (const client of parsed.clients ?? []) {
    if (knownClients && knownClients.length > 0 && !knownClients.includes(client)) {
      problems.push(`${where}: clients: "${client}" is not a client in API_KEYS`);
    }
  }
  const extra = { ...(parsed.clients ? { clients: parsed.clients } : {}) };
  if (parsed.timeoutMs !== undefined) Object.assign(extra, { timeoutMs: parsed.timeoutMs });
  const server: McpServerConfig =
    'command' in parsed
      ? {
          name,
          transport: 'stdio',
          command: parsed.command,
          args: parsed.args,
          env: interpolate(`${where}: env`, parsed.env, env, problems),
          ...(parsed.cwd ? { cwd: parsed.cwd } : {}),
          ...extra,
        }
      : {
          name,
          transport: 'http',
          url: parsed.url,
          headers: interpolate(`${where}: headers`, parsed.headers, env, problems),
          ...extra,
        };
  if (problems.length > before || parsed.disabled) return undefined;
  return server;
}

type Shape = z.output<typeof stdioSchema> | z.output<typeof httpSchema>;

function parseShape(where: string, raw: unknown, problems: string[]): Shape | undefined {
  if (!isObject(raw)) {
    problems.push(`${where}: expected an object with "command" (stdio) or "url" (streamable HTTP)`);
    return undefined;
  }
  if (raw.type === 'sse') {
    problems.push(`${where}: the SSE transport is deprecated and not supported; use streamable HTTP`);
    return undefined;
  }
  if ('command' in raw === 'url' in raw) {
    problems.push(`${where}: give either "command" (stdio) or "url" (streamable HTTP), not both or neither`);
    return undefined;
  }
  const result = ('command' in raw ? stdioSchema : httpSchema).safeParse(raw);
  if (result.success) return result.data;
  for (const issue of result.error.issues) {
    const path = issue.path.map(String).join('.');
    // Only the path and zod's message: a message never includes the offending value.
    problems.push(`${where}: ${path ? `${path}: ` : ''}${issue.message}`);
  }
  return undefined;
}

/** Replaces `${VAR}` (or `${env:VAR}`) in each value; a missing variable is a problem naming it. */
function interpolate(
  where: string,
  values: Record<string, string>,
  env: Record<string, string | undefined>,
  problems: string[],
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) {
    out[key] = value.replace(ENV_REF, (_match, variable: string) => {
      const found = env[variable];
      if (found === undefined || found === '')
        problems.push(`${where}: ${key} uses \${${variable}}, which is not set`);
      return found ?? '';
    });
  }
  return out;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
