import type { ClientPolicy } from '@parley/config';
import type { Logger } from '@parley/logger';
import { type AppError, isAppError } from '../errors/app-error.ts';
import type { PolicyMetrics } from '../observability/policy-metrics.ts';
import { composeSystemPrompt } from '../policy/client-rules.ts';
import type { PolicyGuard } from '../policy/policy-guard.ts';
import type { UsageOwner } from '../policy/usage-ledger.ts';
import type { UsageMeter } from '../policy/usage-meter.ts';

export interface TurnGateDeps {
  /** Every configured client's policy, by client name. */
  policies: Readonly<Record<string, ClientPolicy>>;
  guard: PolicyGuard;
  meter: UsageMeter;
  /** The operator's system prompt (SYSTEM_PROMPT): a client's own prompt is appended to it. */
  operatorPrompt: string;
  metrics: PolicyMetrics;
  logger: Logger;
}

export interface AdmissionRequest {
  /** A model the caller asked for; empty runs the default. */
  model?: string;
  /** The caller's own system prompt (StartConversation). */
  systemPrompt?: string;
  /** The call creates a conversation (counts against conversations per day). */
  newConversation?: boolean;
  /** The call runs a model turn (rate limits, budgets). Default true. */
  turn?: boolean;
}

export interface TurnAdmission {
  /** The model asked for, when one was (checked against the policy); absent keeps the default. */
  model?: string;
  /** The system prompt to store: the operator's with the client's appended, when the client gave one. */
  systemPrompt?: string;
}

/**
 * Where client policy meets the turn path, in two calls a turn makes: {@link admit} before anything is
 * stored or the model called (refusals are AppErrors with meta), and {@link metered} around the turn
 * itself, which charges every model call made for it to the ledger once it settles.
 */
export class TurnGate {
  readonly #deps: TurnGateDeps;

  constructor(deps: TurnGateDeps) {
    this.#deps = deps;
  }

  policyOf(clientId: string): ClientPolicy {
    const policy = this.#deps.policies[clientId];
    // Every API key's client has a policy (loadPolicyConfig resolves one per key): reaching this is a bug.
    if (!policy) throw new Error(`no policy for client "${clientId}"`);
    return policy;
  }

  async admit(owner: UsageOwner, request: AdmissionRequest): Promise<TurnAdmission> {
    const policy = this.policyOf(owner.clientId);
    try {
      const systemPrompt = request.systemPrompt
        ? composeSystemPrompt(policy, this.#deps.operatorPrompt, request.systemPrompt)
        : undefined;
      const { model } = await this.#deps.guard.admit({
        policy,
        owner,
        ...(request.model ? { model: request.model } : {}),
        newConversation: request.newConversation ?? false,
        turn: request.turn ?? true,
      });
      return { ...(request.model ? { model } : {}), ...(systemPrompt ? { systemPrompt } : {}) };
    } catch (err) {
      if (isAppError(err)) this.#deps.metrics.refused(refusalReason(err));
      throw err;
    }
  }

  /**
   * Runs `fn` (the turn) with every model call it makes metered, then charges what it used (tool rounds,
   * summaries, titles included), whether it succeeded or not.
   */
  async metered<T>(owner: UsageOwner, fn: () => Promise<T>): Promise<T> {
    const { outcome, usage } = await this.#deps.meter.measure(owner, fn);
    await Promise.all([...usage].map(([model, used]) => this.charge(owner, model, used)));
    if (outcome.status === 'fulfilled') return outcome.value;
    throw outcome.reason;
  }

  /** Charges one model's usage to the ledger and the metrics; never throws. */
  async charge(
    owner: UsageOwner,
    model: string,
    used: { inputTokens: number; outputTokens: number; audioSeconds?: number },
  ): Promise<void> {
    if (used.inputTokens === 0 && used.outputTokens === 0 && !used.audioSeconds) return;
    const amount = await this.#deps.guard.charge(owner, model, used);
    this.#deps.metrics.charged(owner.clientId, model, amount);
  }
}

/** The label a refusal is counted under: the rate rule or budget named in meta, or the kind of denial. */
export function refusalReason(err: AppError): string {
  if (err.meta.limit) return err.meta.limit;
  if (err.meta.budget) return err.meta.budget;
  if (err.meta.blocked) return 'blocked';
  if (err.meta.allowed_models !== undefined) return 'model';
  if (err.meta.argument === 'system_prompt') return 'system_prompt';
  return 'other';
}
