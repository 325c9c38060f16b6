import type { z } from 'zod';

/** Thrown by a `load*Config(env)` that found problems; lists every one of them, never a secret. */
export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** One line per zod issue, naming the environment variable; values are never echoed. */
export function formatIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const name = issue.path.join('.') || '(environment)';
    return `${name}: ${issue.message}`;
  });
}

const SECRET = /KEY|TOKEN|SECRET|PASSWORD/i;
// Header and environment maps (MCP servers) hold tokens under arbitrary names (Authorization, GITHUB_PAT…).
const SECRET_MAPS = new Set(['headers', 'env']);

/** A printable copy of a config object with secrets (and credentials inside URLs) masked. */
export function redact(value: unknown, key = ''): unknown {
  if (value === null || value === undefined) return value;
  if (typeof value === 'string') {
    if (SECRET.test(key)) return value ? '[redacted]' : '';
    return value.replace(/(\/\/[^:/@\s]+:)[^@\s]+@/, '$1[redacted]@');
  }
  if (Array.isArray(value)) return value.map((v) => redact(v, key));
  if (typeof value === 'object') {
    if (SECRET_MAPS.has(key)) return Object.fromEntries(Object.keys(value).map((k) => [k, '[redacted]']));
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redact(v, k)]));
  }
  return value;
}
