import * as z from 'zod';
import type { ToolParameters } from './define-tool.ts';

type JsonSchema = { [key: string]: unknown };

/**
 * Keywords OpenAI's strict mode refuses or ignores. They are left out of what the model sees; zod still
 * enforces every one of them when the call comes back.
 */
const UNSUPPORTED = new Set([
  '$schema',
  'default',
  'minLength',
  'maxLength',
  'minProperties',
  'maxProperties',
]);

/**
 * The tool's JSON schema in the subset OpenAI's `strict: true` accepts: every property listed in `required`
 * and `additionalProperties: false` on every object. A property that is optional in zod becomes required
 * but nullable, so the model sends `null` for "not given"; {@link dropNullOptionals} turns that back into
 * an absent key before zod validates. Tool authors keep writing plain `.optional()`/`.default()`.
 */
export function toolJsonSchemas(parameters: ToolParameters): { strict: JsonSchema; input: JsonSchema } {
  // `input`: the schema describes what the model sends, so defaulted fields are optional, not required.
  const input = z.toJSONSchema(parameters, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  return { strict: toStrict(input), input };
}

function toStrict(node: JsonSchema): JsonSchema {
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(node)) {
    if (!UNSUPPORTED.has(key)) out[key] = value;
  }
  if (isSchema(node.items)) out.items = toStrict(node.items);
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
    const branches = node[key];
    if (Array.isArray(branches)) out[key] = branches.map((b) => (isSchema(b) ? toStrict(b) : b));
  }
  if (node.type !== 'object') return out;
  const required = new Set(asStrings(node.required));
  const properties: JsonSchema = {};
  for (const [key, property] of Object.entries(asSchema(node.properties))) {
    if (!isSchema(property)) continue;
    const strict = toStrict(property);
    properties[key] = required.has(key) ? strict : nullable(strict);
  }
  return { ...out, properties, required: Object.keys(properties), additionalProperties: false };
}

function nullable(schema: JsonSchema): JsonSchema {
  if (acceptsNull(schema)) return schema;
  if (typeof schema.type === 'string' && !('enum' in schema) && !('const' in schema)) {
    return { ...schema, type: [schema.type, 'null'] };
  }
  return { anyOf: [schema, { type: 'null' }] };
}

/**
 * Removes `null` values of properties that are optional in `schema` and do not accept null themselves,
 * recursing into nested objects and arrays; leaves everything else for zod to judge.
 */
export function dropNullOptionals(value: unknown, schema: JsonSchema): unknown {
  if (Array.isArray(value)) {
    return isSchema(schema.items)
      ? value.map((item) => dropNullOptionals(item, schema.items as JsonSchema))
      : value;
  }
  if (typeof value !== 'object' || value === null || schema.type !== 'object') return value;
  const required = new Set(asStrings(schema.required));
  const properties = asSchema(schema.properties);
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    const property = properties[key];
    if (!isSchema(property)) {
      out[key] = item;
    } else if (item !== null) {
      out[key] = dropNullOptionals(item, property);
    } else if (required.has(key) || acceptsNull(property)) {
      out[key] = item;
    }
  }
  return out;
}

function acceptsNull(schema: JsonSchema): boolean {
  const { type, anyOf } = schema;
  if (type === 'null' || (Array.isArray(type) && type.includes('null'))) return true;
  return Array.isArray(anyOf) && anyOf.some((branch) => isSchema(branch) && acceptsNull(branch));
}

function isSchema(value: unknown): value is JsonSchema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asSchema(value: unknown): JsonSchema {
  return isSchema(value) ? value : {};
}

function asStrings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}
