import type { ClientPolicy } from '@parley/config';
import { AppError } from '../errors/app-error.ts';

/**
 * The parts of a client policy that need no store: which model a turn runs on, what system prompt it
 * gets, which tools it may use, and whether the caller is an admin.
 */

/** The model a turn runs on: the default when none is asked for; outside the policy → permission_denied. */
export function resolveModel(policy: ClientPolicy, defaultModel: string, requested?: string): string {
  const model = requested?.trim() || defaultModel;
  if (policy.models === 'any' || policy.models.includes(model)) return model;
  throw new AppError('permission_denied', `model "${model}" is not allowed for this client`, {
    meta: { argument: 'model', allowed_models: policy.models.join(',') },
  });
}

/**
 * The system prompt a conversation runs with. The operator's always comes first; a client allowed to
 * add to it has its text appended, never replacing it; a client that is not gets permission_denied.
 */
export function composeSystemPrompt(
  policy: ClientPolicy,
  operatorPrompt: string,
  clientPrompt?: string,
): string {
  const added = clientPrompt?.trim();
  if (!added) return operatorPrompt;
  if (policy.systemPrompt !== 'append') {
    throw new AppError('permission_denied', 'this client may not set a system prompt', {
      meta: { argument: 'system_prompt' },
    });
  }
  return `${operatorPrompt}\n\n${added}`;
}

/** Whether a tool from `source` (`builtin` or `mcp:<server>`) may run in this client's turns. */
export function allowsToolSource(policy: ClientPolicy, source: string): boolean {
  const allowed = policy.tools;
  if (allowed.includes('*') || allowed.includes(source)) return true;
  return source.startsWith('mcp:') && allowed.includes('mcp:*');
}

/** Admin RPCs answer only admin-role clients. */
export function requireAdmin(policy: ClientPolicy): void {
  if (policy.role !== 'admin') {
    throw new AppError('permission_denied', 'this call needs an admin key');
  }
}
