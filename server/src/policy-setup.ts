import { join } from 'node:path';
import type { PolicyConfig, ServerConfig } from '@parley/config';
import type { Logger } from '@parley/logger';
import type { AdminServiceTwirp, UsageServiceTwirp } from '@parley/rpc';
import type { Registry } from 'prom-client';
import type { Llm } from './assistant/llm.ts';
import type { Transcriber } from './attachments/transcriber.ts';
import { createPolicyMetrics } from './observability/policy-metrics.ts';
import type { ComponentStatus } from './observability/readiness.ts';
import type { People } from './people/people.ts';
import { EmbeddedUsageLedger } from './policy/embedded-usage-ledger.ts';
import { PolicyGuard } from './policy/policy-guard.ts';
import { RateLimiter, type RateLimiterDeps } from './policy/rate-limiter.ts';
import type { UsageLedger } from './policy/usage-ledger.ts';
import { MeteredLlm, MeteredTranscriber, UsageMeter } from './policy/usage-meter.ts';
import type { RedisConnection } from './redis/redis-client.ts';
import { createAdminService } from './rpc/admin-service.ts';
import { createUsageService } from './rpc/usage-service.ts';
import { TurnGate } from './turns/turn-gate.ts';

export interface PolicySetupDeps {
  config: Readonly<ServerConfig>;
  policy: Readonly<PolicyConfig>;
  logger: Logger;
  clock: () => Date;
  registry: Registry;
  /** Rate limits are shared by every replica through it when set; per process otherwise. */
  redis?: RedisConnection;
  /** Without Redis: rate limits shared by this machine's server processes (WORKERS > 1). */
  sharedRateLimits?: RateLimiterDeps['sqlite'];
  /** A ledger to use instead of the configured one (tests). */
  ledger?: UsageLedger;
  /** Linked identities share usage and budgets; admins list and undo links. */
  people: People;
}

/** Client policy as the server runs it: the turn gate, the usage and admin services, and their store. */
export interface PolicySetup {
  gate: TurnGate;
  usage: UsageServiceTwirp;
  admin: AdminServiceTwirp;
  /** Reports every model call's usage to the meter, so it is charged to whoever the turn is for. */
  metered(llm: Llm): Llm;
  /** Likewise for transcriptions (seconds of audio, priced per minute). */
  meteredTranscriber(transcriber: Transcriber): Transcriber;
  readiness(): Promise<ComponentStatus>;
  close(): Promise<void>;
}

/**
 * Builds the policy side of the server: the usage ledger (MongoDB when MONGODB_URL is set, else SQLite
 * beside the conversations), rate limits on the shared Redis connection, the guard, and the services.
 */
export async function createPolicy(deps: PolicySetupDeps): Promise<PolicySetup> {
  const { config, policy, logger, clock } = deps;
  const ledger =
    deps.ledger ??
    (config.mongodb
      ? // The MongoDB driver loads only when configured (most of a small server's start-up otherwise).
        await (await import('./policy/mongo-usage-ledger.ts')).MongoUsageLedger.connect({
          url: config.mongodb.url,
          dbName: config.mongodb.dbName,
          logger,
        })
      : new EmbeddedUsageLedger({ path: join(config.dataDir, 'usage.db') }));
  const limiter = new RateLimiter({
    ...(deps.redis ? { redis: deps.redis } : {}),
    ...(deps.sharedRateLimits ? { sqlite: deps.sharedRateLimits } : {}),
    logger,
  });
  const guard = new PolicyGuard({
    ledger,
    limiter,
    prices: policy.prices,
    defaultModel: policy.defaultModel,
    people: deps.people,
    clock,
    logger,
  });
  const metrics = createPolicyMetrics(deps.registry);
  // Usage reported after its turn was charged (a background title) is charged on its own.
  const meter = new UsageMeter({
    onLateUsage: (owner, model, usage) =>
      void gate.charge(owner, model, {
        inputTokens: usage.promptTokens,
        outputTokens: usage.completionTokens,
      }),
  });
  const gate = new TurnGate({
    policies: policy.clients,
    guard,
    meter,
    operatorPrompt: config.systemPrompt,
    metrics,
    logger,
  });
  const common = { gate, currency: policy.currency };
  return {
    gate,
    usage: createUsageService({ ...common, guard, defaultModel: policy.defaultModel }),
    admin: createAdminService({
      ...common,
      ledger,
      clients: Object.keys(policy.clients),
      clock,
      metrics,
      people: deps.people,
    }),
    metered: (llm) => new MeteredLlm({ llm, meter, defaultModel: policy.defaultModel }),
    meteredTranscriber: (transcriber) => new MeteredTranscriber({ transcriber, meter }),
    async readiness() {
      try {
        await ledger.ping();
        return { ok: true, detail: config.mongodb ? 'mongodb' : 'sqlite' };
      } catch (err) {
        return { ok: false, detail: `ledger: ${err instanceof Error ? err.name : 'failed'}` };
      }
    },
    close: () => ledger.close(),
  };
}
