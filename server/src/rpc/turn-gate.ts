import type { ClientPolicy } from '@parley/config';
import type { Logger } from '@parley/logger';
import { AppError, isAppError, UnavailableError } from '../errors/app-error.ts';
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
  /** One deadline for the whole turn, model retries and tool rounds included. */
  turnTimeoutMs: number;
  /** Aborted when the server gives up waiting for turns at shutdown. */
  shutdown: AbortSignal;
  metrics: PolicyMetrics;
  logger: Logger;
}

export interface TurnAdmissionRequest {
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
 * Where client policy meets the turn path, in two calls the RPC layer makes: {@link admit} before
 * anything is stored or the model called (refusals become Twirp errors with meta), and {@link run}
 * around the turn itself, which gives the turn its one deadline and shutdown signal and charges every
 * model call made for it (tool rounds, summaries, titles) to the ledger once it settles.
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

  async admit(owner: UsageOwner, request: TurnAdmissionRequest): Promise<TurnAdmission> {
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
   * Runs one turn under its deadline (combined with `signal`, e.g. a caller that left) and the shutdown
   * signal, then charges what it used. A turn cut off by its deadline is `deadline_exceeded`; one cut
   * off by shutdown is `unavailable`, so the caller retries (with the same request_id) elsewhere.
   */
  async run<T>(owner: UsageOwner, fn: (signal: AbortSignal) => Promise<T>, signal?: AbortSignal): Promise<T> {
    const deadline = AbortSignal.timeout(this.#deps.turnTimeoutMs);
    const linked = linkSignals([deadline, this.#deps.shutdown, ...(signal ? [signal] : [])]);
    const combined = linked.signal;
    const { outcome, usage } = await this.#deps.meter
      .measure(owner, () =>
        // A step that ignores the signal must not hold the caller past the deadline either.
        Promise.race([fn(combined), rejectOnAbort(combined)]),
      )
      .finally(linked.release);
    await Promise.all([...usage].map(([model, used]) => this.charge(owner, model, used)));
    if (outcome.status === 'fulfilled') return outcome.value;
    if (deadline.aborted) {
      throw new AppError(
        'deadline_exceeded',
        'the answer took too long; try again or ask something simpler',
        {
          cause: outcome.reason,
          meta: { timeout_ms: String(this.#deps.turnTimeoutMs) },
        },
      );
    }
    if (this.#deps.shutdown.aborted) {
      throw new UnavailableError('the server is restarting; retry with the same request_id', {
        cause: outcome.reason,
      });
    }
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

/**
 * Like `AbortSignal.any`, with listeners removed when the turn ends. `AbortSignal.any` keeps every signal
 * made from the long-lived shutdown signal as its dependant, and Node sweeps that whole set each time one
 * is collected: per turn, work that grows with the turns served (5% of the server's CPU at 64 connections).
 */
export function linkSignals(signals: AbortSignal[]): { signal: AbortSignal; release(): void } {
  const controller = new AbortController();
  const already = signals.find((s) => s.aborted);
  if (already) {
    controller.abort(already.reason);
    return { signal: controller.signal, release: () => {} };
  }
  const release = () => {
    for (const s of signals) s.removeEventListener('abort', onAbort);
  };
  const onAbort = (event: Event) => {
    release();
    controller.abort((event.target as AbortSignal).reason);
  };
  for (const s of signals) s.addEventListener('abort', onAbort);
  return { signal: controller.signal, release };
}

function rejectOnAbort(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    const fail = () => reject(signal.reason);
    if (signal.aborted) fail();
    else signal.addEventListener('abort', fail, { once: true });
  });
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
