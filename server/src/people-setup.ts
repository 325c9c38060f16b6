import { join } from 'node:path';
import type { ServerConfig } from '@parley/config';
import type { Logger } from '@parley/logger';
import type { IdentityServiceTwirp } from '@parley/rpc';
import type { ComponentStatus } from './observability/readiness.ts';
import { EmbeddedIdentityStore } from './people/embedded-identity-store.ts';
import type { IdentityStore } from './people/identity-store.ts';
import { People } from './people/people.ts';
import { RateLimiter, type RateLimiterDeps } from './policy/rate-limiter.ts';
import type { RedisConnection } from './redis/redis-client.ts';
import { createIdentityService } from './rpc/identity-service.ts';

export interface PeopleSetupDeps {
  config: Readonly<ServerConfig>;
  logger: Logger;
  clock: () => Date;
  /** Link attempts are counted for every replica through it when set; per process otherwise. */
  redis?: RedisConnection;
  sharedRateLimits?: RateLimiterDeps['sqlite'];
  /** A store instead of the configured one (tests). */
  store?: IdentityStore;
}

export interface PeopleSetup {
  people: People;
  identity: IdentityServiceTwirp;
  readiness(): Promise<ComponentStatus>;
  close(): Promise<void>;
}

/**
 * People across clients: the identity store (MongoDB when MONGODB_URL is set, else SQLite beside the
 * conversations), the People use cases, and IdentityService with its attempt limits.
 */
export async function createPeople(deps: PeopleSetupDeps): Promise<PeopleSetup> {
  const { config, logger, clock } = deps;
  const store =
    deps.store ??
    (config.mongodb
      ? await (await import('./people/mongo-identity-store.ts')).MongoIdentityStore.connect({
          url: config.mongodb.url,
          dbName: config.mongodb.dbName,
          logger,
        })
      : new EmbeddedIdentityStore({ path: join(config.dataDir, 'people.db') }));
  const people = new People({ store, clock });
  const limiter = new RateLimiter({
    ...(deps.redis ? { redis: deps.redis } : {}),
    ...(deps.sharedRateLimits ? { sqlite: deps.sharedRateLimits } : {}),
    logger,
  });
  return {
    people,
    identity: createIdentityService({ people, limiter }),
    async readiness() {
      try {
        await store.ping();
        return { ok: true, detail: config.mongodb ? 'mongodb' : 'sqlite' };
      } catch (err) {
        return { ok: false, detail: `people: ${err instanceof Error ? err.name : 'failed'}` };
      }
    },
    close: () => store.close(),
  };
}
