import type { PolicyConfig } from '@parley/config';
import { AppError } from '../errors/app-error.ts';
import { resolveModel } from '../policy/client-rules.ts';

/** The model name that always means the server's default model, whatever it is configured to be. */
export const DEFAULT_MODEL_ALIAS = 'parley';

interface ModelObject {
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
}

/**
 * `/v1/models` for one key: the alias `parley`, the default model, and the models its client's policy
 * allows (with an unrestricted policy: those with a price, the ones the operator named).
 */
export class ModelCatalog {
  readonly #policy: Readonly<PolicyConfig>;
  readonly #created: number;

  constructor(policy: Readonly<PolicyConfig>, startedAt: Date) {
    this.#policy = policy;
    this.#created = Math.floor(startedAt.getTime() / 1000);
  }

  list(clientId: string): { object: 'list'; data: ModelObject[] } {
    const allowed = this.#clientPolicy(clientId).models;
    const named = allowed === 'any' ? Object.keys(this.#policy.prices) : allowed;
    const ids = [...new Set([DEFAULT_MODEL_ALIAS, this.#policy.defaultModel, ...named])];
    return { object: 'list', data: ids.map((id) => this.#model(id)) };
  }

  /** One model this key may use; not_found (OpenAI's 404 model_not_found) otherwise. */
  get(clientId: string, id: string): ModelObject {
    if (id !== DEFAULT_MODEL_ALIAS) {
      try {
        resolveModel(this.#clientPolicy(clientId), this.#policy.defaultModel, id);
      } catch {
        throw unknownModel(id);
      }
    }
    return this.#model(id);
  }

  /** The model a request names, as the turn runs it: the alias is the default (undefined). */
  requested(model: string): string | undefined {
    return model === DEFAULT_MODEL_ALIAS ? undefined : model;
  }

  #clientPolicy(clientId: string) {
    const policy = this.#policy.clients[clientId];
    // Every API key's client has a policy (loadPolicyConfig resolves one per key): reaching this is a bug.
    if (!policy) throw new Error(`no policy for client "${clientId}"`);
    return policy;
  }

  #model(id: string): ModelObject {
    return { id, object: 'model', created: this.#created, owned_by: 'parley' };
  }
}

function unknownModel(id: string): AppError {
  return new AppError('not_found', `The model \`${id}\` does not exist or you do not have access to it.`, {
    meta: { argument: 'model' },
  });
}
