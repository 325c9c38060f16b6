import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

export type ArgumentCheck = { ok: true } | { ok: false; message: string };
export type CheckArguments = (args: unknown) => ArgumentCheck;

const MAX_LISTED_ERRORS = 8;

/**
 * Compiles MCP tools' input schemas with ajv. MCP's default dialect is JSON Schema 2020-12, while many
 * servers (those built on zod-to-json-schema) declare draft-07; each schema is compiled by the matching
 * ajv. Make one per tool listing: ajv keeps every compiled schema for its lifetime.
 */
export class ArgumentValidator {
  readonly #draft07 = withFormats(new Ajv({ allErrors: true, strict: false }));
  readonly #draft2020 = withFormats(new Ajv2020({ allErrors: true, strict: false }));

  /** Throws when the schema cannot be compiled (the tool should then be left out). */
  compile(toolName: string, schema: Record<string, unknown>): CheckArguments {
    const { $schema, $id: _id, ...rest } = schema;
    const ajv = typeof $schema === 'string' && /draft-0[4-7]/.test($schema) ? this.#draft07 : this.#draft2020;
    const validate: ValidateFunction = ajv.compile(rest);
    return (args) => {
      if (validate(args)) return { ok: true };
      return { ok: false, message: describeErrors(toolName, validate.errors ?? []) };
    };
  }
}

function withFormats<T extends Ajv | Ajv2020>(ajv: T): T {
  addFormats(ajv);
  return ajv;
}

/** Model-readable, like the registry's zod messages: one line per problem, then what to do. */
function describeErrors(toolName: string, errors: readonly ErrorObject[]): string {
  const lines = errors.slice(0, MAX_LISTED_ERRORS).map((error) => {
    const path = error.instancePath.slice(1).replaceAll('/', '.');
    const extra =
      error.keyword === 'additionalProperties'
        ? ` (${String((error.params as { additionalProperty?: unknown }).additionalProperty)})`
        : '';
    return `- ${path ? `${path}: ` : ''}${error.message ?? 'is invalid'}${extra}`;
  });
  if (errors.length > MAX_LISTED_ERRORS) lines.push(`- …and ${errors.length - MAX_LISTED_ERRORS} more`);
  return `Invalid arguments for ${toolName}:\n${lines.join('\n')}\nFix the arguments and call ${toolName} again.`;
}
