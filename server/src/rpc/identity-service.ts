import type { IdentityServiceTwirp, Person, Identity as WireIdentity } from '@parley/rpc';
import type { TwirpContext } from 'twirp-ts';
import { AppError, tooLong, ValidationError } from '../errors/app-error.ts';
import { type Identity, sameIdentity } from '../people/identity.ts';
import type { LinkedIdentity, PersonRecord } from '../people/identity-store.ts';
import type { People } from '../people/people.ts';
import type { RateLimiter, RateRule } from '../policy/rate-limiter.ts';
import { withErrorTranslation } from './error-translation.ts';
import { requestContext } from './request-context.ts';
import { toTimestamp } from './usage-service.ts';

export interface IdentityServiceDeps {
  people: People;
  /** Counts link attempts per identity (shared by replicas when Redis is configured). */
  limiter: RateLimiter;
}

const MAX_FIELD = 128;
const LANGUAGE = /^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8}){0,3}$/;
const MAX_LANGUAGE = 35;

/**
 * Redeeming is where codes could be guessed: 5 tries per identity per 15 minutes makes 2^39 codes out of
 * reach (a guesser would need tens of thousands of years per live code). Asking for codes is limited too.
 */
export const LINK_RULES = {
  redeem: { name: 'link-redeem', points: 5, durationSeconds: 15 * 60 },
  create: { name: 'link-codes', points: 10, durationSeconds: 15 * 60 },
} as const satisfies Record<string, RateRule>;

/**
 * IdentityService: every call acts for `user_id` on the calling key's client, and nobody else: a client
 * reaches another client's user only through a code that user asked for.
 */
export function createIdentityService(deps: IdentityServiceDeps): IdentityServiceTwirp {
  const { people } = deps;
  const limited = async (rule: RateRule, identity: Identity) => {
    const decision = await deps.limiter.consume(rule, `${identity.clientId}\u0000${identity.userId}`);
    if (decision.allowed) return;
    throw new AppError('resource_exhausted', 'too many link attempts: wait before trying again', {
      meta: { limit: rule.name, retry_after: String(Math.ceil(decision.retryAfterMs / 1000)) },
    });
  };
  return withErrorTranslation<IdentityServiceTwirp>({
    async CreateLinkCode(ctx, req) {
      const identity = callerOf(ctx, req.userId);
      await limited(LINK_RULES.create, identity);
      const { code, expiresAt } = await people.createCode(identity);
      return { code, expiresAt: toTimestamp(expiresAt) };
    },

    async RedeemLinkCode(ctx, req) {
      const identity = callerOf(ctx, req.userId);
      if (req.code.length > 32) throw tooLong('code', 32);
      await limited(LINK_RULES.redeem, identity);
      const identities = await people.redeem(identity, req.code);
      return { identities: identities.map((i) => toWireIdentity(i, identity)) };
    },

    async ListLinks(ctx, req) {
      const identity = callerOf(ctx, req.userId);
      return { identities: (await people.links(identity)).map((i) => toWireIdentity(i, identity)) };
    },

    async Unlink(ctx, req) {
      const identity = callerOf(ctx, req.userId);
      const target = req.identity ? targetOf(req.identity) : identity;
      return { wasLinked: await people.unlink(identity, target) };
    },

    async GetPreferences(ctx, req) {
      return { language: await people.language(callerOf(ctx, req.userId)) };
    },

    async SetLanguage(ctx, req) {
      const identity = callerOf(ctx, req.userId);
      if (req.language.length > MAX_LANGUAGE) throw tooLong('language', MAX_LANGUAGE);
      if (req.language && !LANGUAGE.test(req.language)) {
        throw new ValidationError('language', 'must be a BCP 47 tag such as "en" or "pt-BR"');
      }
      await people.setLanguage(identity, req.language);
      return {};
    },
  });
}

/** The caller's identity: always the calling key's client. */
function callerOf(ctx: TwirpContext, userId: string): Identity {
  if (!userId) throw new ValidationError('user_id', 'is required');
  if (userId.length > MAX_FIELD) throw tooLong('user_id', MAX_FIELD);
  return { clientId: requestContext(ctx.req).clientId, userId };
}

function targetOf(identity: WireIdentity): Identity {
  if (!identity.clientId) throw new ValidationError('identity.client_id', 'is required');
  if (identity.clientId.length > MAX_FIELD) throw tooLong('identity.client_id', MAX_FIELD);
  if (identity.userId.length > MAX_FIELD) throw tooLong('identity.user_id', MAX_FIELD);
  return { clientId: identity.clientId, userId: identity.userId };
}

/** An identity on the wire; `caller` marks the one that made the call. */
export function toWireIdentity(identity: LinkedIdentity, caller?: Identity): WireIdentity {
  return {
    clientId: identity.clientId,
    userId: identity.userId,
    linkedAt: toTimestamp(identity.linkedAt),
    caller: caller !== undefined && sameIdentity(identity, caller),
  };
}

export function toWirePerson(person: PersonRecord): Person {
  return { personId: person.personId, identities: person.identities.map((i) => toWireIdentity(i)) };
}
