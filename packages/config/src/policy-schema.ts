import * as z from 'zod';

/**
 * The shapes a policy is written in: the `POLICY_FILE` document (YAML or JSON, snake_case keys) and the
 * environment variables for the simple case. In both, an absent field inherits and `null` lifts a limit.
 */

const positiveInt = z.number().int().positive();
/** Omitted: inherit the default. `null`: no limit, even where the defaults set one. */
const limit = positiveInt.nullable().optional();

/** A tool source: the built-in tools, one MCP server's tools, every MCP server's, or everything. */
export const TOOL_SOURCE = /^(builtin|mcp:[A-Za-z0-9_.-]{1,64}|mcp:\*|\*)$/;

/** The kinds of file a user message may carry. */
export const ATTACHMENT_KINDS = ['image', 'audio', 'document'] as const;

const attachmentFields = z
  .object({
    kinds: z.array(z.enum(ATTACHMENT_KINDS)).optional(),
    max_bytes: positiveInt.optional(),
    max_turn_bytes: positiveInt.optional(),
    max_count: positiveInt.optional(),
  })
  .strict();

const budgetLimit = z.object({ tokens: limit, cost: z.number().positive().nullable().optional() }).strict();

export const policyFields = z
  .object({
    role: z.enum(['user', 'admin']).optional(),
    models: z.array(z.string().trim().min(1).max(200)).optional(),
    system_prompt: z.enum(['deny', 'append']).optional(),
    tools: z.array(z.string().regex(TOOL_SOURCE, 'must be builtin, mcp:<server>, mcp:* or *')).optional(),
    rate_limits: z
      .object({
        turns_per_minute_per_user: limit,
        turns_per_minute: limit,
        conversations_per_day_per_user: limit,
      })
      .strict()
      .optional(),
    budgets: z.object({ daily: budgetLimit.optional(), monthly: budgetLimit.optional() }).strict().optional(),
    attachments: attachmentFields.optional(),
  })
  .strict();

export type PolicyFields = z.infer<typeof policyFields>;

/** Per 1M input/output tokens; transcription models may instead (or also) cost per minute of audio. */
const price = z
  .object({
    input: z.number().nonnegative().default(0),
    output: z.number().nonnegative().default(0),
    per_minute: z.number().nonnegative().optional(),
  })
  .strict()
  .transform(
    ({ input, output, per_minute }): ModelPriceFields =>
      per_minute === undefined ? { input, output } : { input, output, perMinute: per_minute },
  );

/** A model's price as the policy holds it (per 1M tokens; per minute of audio for transcription). */
export interface ModelPriceFields {
  input: number;
  output: number;
  perMinute?: number;
}

export const policyFile = z
  .object({
    defaults: policyFields.optional(),
    clients: z.record(z.string(), policyFields).optional(),
    prices: z.record(z.string().min(1), price).optional(),
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/, 'must be a three-letter code such as USD')
      .optional(),
  })
  .strict();

export type PolicyFile = z.infer<typeof policyFile>;

const list = z
  .string()
  .optional()
  .transform((raw) =>
    raw === undefined
      ? undefined
      : raw
          .split(',')
          .map((item) => item.trim())
          .filter(Boolean),
  );

/** An optional numeric variable; text that is not a number fails the check as NaN. */
const optionalNumber = (check: z.ZodNumber) =>
  z
    .string()
    .optional()
    .transform((v) => (v?.trim() ? Number(v.trim()) : undefined))
    .pipe(check.optional());

const optionalInt = optionalNumber(z.number().int().positive());
const optionalMoney = optionalNumber(z.number().positive());

/**
 * `MODEL_PRICES=gpt-4o-mini=0.15/0.60,whisper-1=0.006/min`: price per 1M input/output tokens, or per
 * minute of audio for a transcription model.
 */
const prices = z
  .string()
  .optional()
  .transform((raw, ctx): Record<string, ModelPriceFields> => {
    const table: Record<string, ModelPriceFields> = {};
    for (const [index, part] of (raw ?? '').split(',').entries()) {
      const item = part.trim();
      if (!item) continue;
      const perMinute = /^(.+)=(\d+(?:\.\d+)?)\/min$/.exec(item);
      if (perMinute?.[1] && perMinute[2]) {
        table[perMinute[1].trim()] = { input: 0, output: 0, perMinute: Number(perMinute[2]) };
        continue;
      }
      const match = /^(.+)=(\d+(?:\.\d+)?)\/(\d+(?:\.\d+)?)$/.exec(item);
      if (!match?.[1] || !match[2] || !match[3]) {
        ctx.addIssue({
          code: 'custom',
          message: `entry ${index + 1} must look like model=input/output or model=price/min`,
        });
        continue;
      }
      table[match[1].trim()] = { input: Number(match[2]), output: Number(match[3]) };
    }
    return table;
  });

/** The environment's policy variables: defaults for every client. */
export const policyEnv = z.object({
  POLICY_FILE: z
    .string()
    .optional()
    .transform((v) => (v?.trim() ? v.trim() : undefined)),
  ADMIN_CLIENTS: list,
  ALLOWED_MODELS: list,
  CLIENT_SYSTEM_PROMPT: z.enum(['deny', 'append']).optional(),
  TOOL_SOURCES: list.pipe(
    z.array(z.string().regex(TOOL_SOURCE, 'entries must be builtin, mcp:<server>, mcp:* or *')).optional(),
  ),
  RATE_LIMIT_USER_TURNS_PER_MINUTE: optionalInt,
  RATE_LIMIT_CLIENT_TURNS_PER_MINUTE: optionalInt,
  RATE_LIMIT_USER_CONVERSATIONS_PER_DAY: optionalInt,
  BUDGET_DAILY_TOKENS: optionalInt,
  BUDGET_MONTHLY_TOKENS: optionalInt,
  BUDGET_DAILY_COST: optionalMoney,
  BUDGET_MONTHLY_COST: optionalMoney,
  MODEL_PRICES: prices,
  ATTACHMENT_KINDS: list.pipe(z.array(z.enum(ATTACHMENT_KINDS)).optional()),
  ATTACHMENT_MAX_BYTES: optionalInt,
  ATTACHMENT_MAX_TURN_BYTES: optionalInt,
  ATTACHMENT_MAX_COUNT: optionalInt,
  PRICE_CURRENCY: z
    .string()
    .regex(/^[A-Z]{3}$/, 'must be a three-letter code such as USD')
    .optional(),
});

export type PolicyEnv = z.infer<typeof policyEnv>;

/** The environment's variables as the same fields a policy file's `defaults` holds. */
export function envDefaults(e: PolicyEnv): PolicyFields {
  const fields: PolicyFields = {};
  if (e.ALLOWED_MODELS) fields.models = e.ALLOWED_MODELS;
  if (e.CLIENT_SYSTEM_PROMPT) fields.system_prompt = e.CLIENT_SYSTEM_PROMPT;
  if (e.TOOL_SOURCES) fields.tools = e.TOOL_SOURCES;
  fields.rate_limits = {
    turns_per_minute_per_user: e.RATE_LIMIT_USER_TURNS_PER_MINUTE,
    turns_per_minute: e.RATE_LIMIT_CLIENT_TURNS_PER_MINUTE,
    conversations_per_day_per_user: e.RATE_LIMIT_USER_CONVERSATIONS_PER_DAY,
  };
  fields.budgets = {
    daily: { tokens: e.BUDGET_DAILY_TOKENS, cost: e.BUDGET_DAILY_COST },
    monthly: { tokens: e.BUDGET_MONTHLY_TOKENS, cost: e.BUDGET_MONTHLY_COST },
  };
  fields.attachments = {
    ...(e.ATTACHMENT_KINDS ? { kinds: e.ATTACHMENT_KINDS } : {}),
    ...(e.ATTACHMENT_MAX_BYTES ? { max_bytes: e.ATTACHMENT_MAX_BYTES } : {}),
    ...(e.ATTACHMENT_MAX_TURN_BYTES ? { max_turn_bytes: e.ATTACHMENT_MAX_TURN_BYTES } : {}),
    ...(e.ATTACHMENT_MAX_COUNT ? { max_count: e.ATTACHMENT_MAX_COUNT } : {}),
  };
  return fields;
}
