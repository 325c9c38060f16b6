import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { ConfigError, formatIssues } from './config-error.ts';
import { envDefaults, type PolicyFields, type PolicyFile, policyEnv, policyFile } from './policy-schema.ts';

/** A token and/or money ceiling for one period; an absent field is no limit. */
export interface BudgetLimit {
  tokens?: number;
  /** Millionths of the price table's currency (integer arithmetic for money). */
  costMicros?: number;
}

/** Ceilings per (client, user), reset at UTC midnight and on the first of each UTC month. */
export interface Budgets {
  daily: BudgetLimit;
  monthly: BudgetLimit;
}

export interface RateLimits {
  /** Turns per minute for each (client, user). */
  userTurnsPerMinute?: number;
  /** Turns per minute for the whole client, all its users together. */
  clientTurnsPerMinute?: number;
  /** Conversations each (client, user) may create per day. */
  userConversationsPerDay?: number;
}

/** Which files a client's users may send, and how large (bytes). */
export interface AttachmentPolicy {
  kinds: readonly ('image' | 'audio' | 'document')[];
  /** The largest single file. */
  maxBytes: number;
  /** All files of one message together. */
  maxTurnBytes: number;
  /** Files per message. */
  maxCount: number;
}

/** Telegram's bot download limit is 20 MB: a default that takes any file a Telegram bot can fetch. */
export const DEFAULT_ATTACHMENTS: AttachmentPolicy = {
  kinds: ['image', 'audio', 'document'],
  maxBytes: 20 * 1024 * 1024,
  maxTurnBytes: 25 * 1024 * 1024,
  maxCount: 10,
};

/** What one API key's client may do. Every field is resolved: defaults, env, file and entry merged. */
export interface ClientPolicy {
  client: string;
  role: 'user' | 'admin';
  /** Models a caller may ask for; always includes the default model. `'any'`: no restriction. */
  models: readonly string[] | 'any';
  /** `append`: the client's prompt follows the operator's; `deny`: a client prompt is refused. */
  systemPrompt: 'deny' | 'append';
  /** Tool sources the client's turns may use: `builtin`, `mcp:<server>`, `mcp:*` or `*`. */
  tools: readonly string[];
  rateLimits: RateLimits;
  budgets: Budgets;
  /** Absent: {@link DEFAULT_ATTACHMENTS}. */
  attachments?: AttachmentPolicy;
}

/** Price per one million tokens, in the table's currency; transcription models per minute of audio. */
export interface ModelPrice {
  input: number;
  output: number;
  perMinute?: number;
}

export interface PolicyConfig {
  /** The policy of every configured client, by client name (`local` in keyless mode). */
  clients: Readonly<Record<string, ClientPolicy>>;
  prices: Readonly<Record<string, ModelPrice>>;
  currency: string;
  defaultModel: string;
}

export interface PolicyConfigOptions {
  /** Client names from API_KEYS; empty means keyless local mode (one client named `local`). */
  clients: readonly string[];
  defaultModel: string;
  /** Reads POLICY_FILE; injectable so tests need no files. */
  readFile?: (path: string) => string;
}

export const LOCAL_CLIENT = 'local';

const BUILT_IN: PolicyFields = { role: 'user', models: [], system_prompt: 'deny', tools: ['*'] };

/**
 * Resolves every client's policy from the environment (defaults for all clients) and the optional
 * `POLICY_FILE` (its `defaults`, then a `clients.<name>` entry, each overriding what came before).
 * Throws {@link ConfigError} listing every problem. Keyless local mode gets a permissive policy unless
 * the file has a `clients.local` entry.
 */
export function loadPolicyConfig(
  env: Record<string, string | undefined>,
  options: PolicyConfigOptions,
): Readonly<PolicyConfig> {
  const parsedEnv = policyEnv.safeParse(env);
  if (!parsedEnv.success) throw new ConfigError(formatIssues(parsedEnv.error));
  const e = parsedEnv.data;
  const problems: string[] = [];
  const file = e.POLICY_FILE ? readPolicyFile(e.POLICY_FILE, options.readFile, problems) : {};
  const keyless = options.clients.length === 0;
  const names = keyless ? [LOCAL_CLIENT] : options.clients;
  for (const name of Object.keys(file.clients ?? {})) {
    if (!names.includes(name)) problems.push(`POLICY_FILE: clients.${name}: no API key names this client`);
  }
  for (const name of e.ADMIN_CLIENTS ?? []) {
    if (!names.includes(name)) problems.push(`ADMIN_CLIENTS: no API key names the client "${name}"`);
  }
  const prices = { ...e.MODEL_PRICES, ...file.prices };
  const clients: Record<string, ClientPolicy> = {};
  for (const name of names) {
    const entry = file.clients?.[name];
    const policy =
      keyless && !entry
        ? permissiveLocalPolicy()
        : resolvePolicy(name, [
            BUILT_IN,
            envDefaults(e),
            file.defaults ?? {},
            adminRole(e, name),
            entry ?? {},
          ]);
    const withDefault = includeDefaultModel(policy, options.defaultModel);
    problems.push(...priceProblems(withDefault, prices));
    clients[name] = withDefault;
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze({
    clients: Object.freeze(clients),
    prices: Object.freeze(prices),
    currency: file.currency ?? e.PRICE_CURRENCY ?? 'USD',
    defaultModel: options.defaultModel,
  });
}

/** The keyless local server's single client: one person on their own machine may do everything. */
export function permissiveLocalPolicy(client = LOCAL_CLIENT): ClientPolicy {
  return {
    client,
    role: 'admin',
    models: 'any',
    systemPrompt: 'append',
    tools: ['*'],
    rateLimits: {},
    budgets: { daily: {}, monthly: {} },
    attachments: DEFAULT_ATTACHMENTS,
  };
}

function readPolicyFile(
  path: string,
  readFile: (path: string) => string = (p) => readFileSync(p, 'utf8'),
  problems: string[],
): PolicyFile {
  let document: unknown;
  try {
    // YAML is a superset of JSON, so one parser reads both.
    document = parseYaml(readFile(path));
  } catch (err) {
    const reason = err instanceof Error ? (err.message.split('\n')[0] ?? err.name) : 'unreadable';
    problems.push(`POLICY_FILE: cannot read ${path}: ${reason}`);
    return {};
  }
  const result = policyFile.safeParse(document ?? {});
  if (!result.success) {
    problems.push(...formatIssues(result.error as z.ZodError).map((p) => `POLICY_FILE ${path}: ${p}`));
    return {};
  }
  return result.data;
}

function adminRole(e: { ADMIN_CLIENTS?: string[] | undefined }, name: string): PolicyFields {
  return e.ADMIN_CLIENTS?.includes(name) ? { role: 'admin' } : {};
}

/** Folds the layers, later ones winning field by field; `null` (no limit) wins like any value. */
function resolvePolicy(client: string, layers: PolicyFields[]): ClientPolicy {
  const pick = <T>(get: (layer: PolicyFields) => T | undefined): T | undefined => {
    let value: T | undefined;
    for (const layer of layers) {
      const v = get(layer);
      if (v !== undefined) value = v;
    }
    return value;
  };
  const num = (v: number | null | undefined): number | undefined => v ?? undefined;
  const micros = (v: number | null | undefined): number | undefined =>
    v == null ? undefined : Math.round(v * 1_000_000);
  const models = pick((l) => l.models) ?? [];
  return {
    client,
    role: pick((l) => l.role) ?? 'user',
    models: models.includes('*') ? 'any' : models,
    systemPrompt: pick((l) => l.system_prompt) ?? 'deny',
    tools: pick((l) => l.tools) ?? ['*'],
    rateLimits: compact({
      userTurnsPerMinute: num(pick((l) => l.rate_limits?.turns_per_minute_per_user)),
      clientTurnsPerMinute: num(pick((l) => l.rate_limits?.turns_per_minute)),
      userConversationsPerDay: num(pick((l) => l.rate_limits?.conversations_per_day_per_user)),
    }),
    budgets: {
      daily: compact({
        tokens: num(pick((l) => l.budgets?.daily?.tokens)),
        costMicros: micros(pick((l) => l.budgets?.daily?.cost)),
      }),
      monthly: compact({
        tokens: num(pick((l) => l.budgets?.monthly?.tokens)),
        costMicros: micros(pick((l) => l.budgets?.monthly?.cost)),
      }),
    },
    attachments: {
      kinds: pick((l) => l.attachments?.kinds) ?? DEFAULT_ATTACHMENTS.kinds,
      maxBytes: pick((l) => l.attachments?.max_bytes) ?? DEFAULT_ATTACHMENTS.maxBytes,
      maxTurnBytes: pick((l) => l.attachments?.max_turn_bytes) ?? DEFAULT_ATTACHMENTS.maxTurnBytes,
      maxCount: pick((l) => l.attachments?.max_count) ?? DEFAULT_ATTACHMENTS.maxCount,
    },
  };
}

function includeDefaultModel(policy: ClientPolicy, defaultModel: string): ClientPolicy {
  if (policy.models === 'any' || policy.models.includes(defaultModel)) return policy;
  return { ...policy, models: [defaultModel, ...policy.models] };
}

/** A money budget can only be kept when every model the client may use has a price. */
function priceProblems(policy: ClientPolicy, prices: Record<string, ModelPrice>): string[] {
  const { daily, monthly } = policy.budgets;
  if (daily.costMicros === undefined && monthly.costMicros === undefined) return [];
  const where = `client ${policy.client}: a cost budget`;
  if (policy.models === 'any') return [`${where} needs an explicit list of models, not *`];
  return policy.models
    .filter((model) => !prices[model])
    .map((model) => `${where} needs a price for model "${model}" (MODEL_PRICES or prices in POLICY_FILE)`);
}

function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
