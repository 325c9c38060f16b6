import { Counter, type Registry } from 'prom-client';
import { BoundedLabel } from './metrics.ts';

/** What the client policy did: refusals by reason, and charged tokens and money by client and model. */
export interface PolicyMetrics {
  /** Turns and calls refused by policy, by `reason` (a rate rule, a budget, `blocked`, `model`, ...). */
  refused(reason: string): void;
  /** A charge: tokens by kind and cost, labelled by client name and model (never a user id). */
  charged(client: string, model: string, usage: ChargedUsage): void;
}

export interface ChargedUsage {
  inputTokens: number;
  outputTokens: number;
  costMicros: number;
}

/** Reasons are a closed set in the code; anything else reads `other`. */
const REASONS = [
  'blocked',
  'model',
  'system_prompt',
  'admin_only',
  'user-turns',
  'client-turns',
  'user-conversations',
  'daily_tokens',
  'daily_cost',
  'monthly_tokens',
  'monthly_cost',
];

export function createPolicyMetrics(registry: Registry): PolicyMetrics {
  const registers = [registry];
  const refusals = new Counter({
    name: 'parley_policy_refusals_total',
    help: 'Requests refused by client policy, by reason (rate rule, budget, blocked, model, system_prompt, admin_only)',
    labelNames: ['reason'],
    registers,
  });
  const tokens = new Counter({
    name: 'parley_usage_tokens_total',
    help: 'Tokens charged to the usage ledger, by client, model and kind (input, output)',
    labelNames: ['client', 'model', 'kind'],
    registers,
  });
  const cost = new Counter({
    name: 'parley_usage_cost_total',
    help: "Money charged to the usage ledger in the price table's currency, by client and model",
    labelNames: ['client', 'model'],
    registers,
  });
  const models = new BoundedLabel(20);
  const known = new Set(REASONS);
  return {
    refused(reason) {
      refusals.inc({ reason: known.has(reason) ? reason : 'other' });
    },
    charged(client, model, usage) {
      const label = { client, model: models.admit(model) };
      tokens.inc({ ...label, kind: 'input' }, usage.inputTokens);
      tokens.inc({ ...label, kind: 'output' }, usage.outputTokens);
      cost.inc(label, usage.costMicros / 1_000_000);
    },
  };
}
