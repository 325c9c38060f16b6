import { randomUUID } from 'node:crypto';
import { AppError, NotFoundError, ValidationError } from '../errors/app-error.ts';
import { type ActingIdentity, type Identity, sameIdentity } from './identity.ts';
import type { IdentityStore, LinkedIdentity, PersonRecord } from './identity-store.ts';
import { hashLinkCode, newLinkCode, normalizeLinkCode } from './link-code.ts';

export interface PeopleDeps {
  store: IdentityStore;
  clock: () => Date;
  /** How long a link code can be redeemed. Default 10 minutes. */
  codeTtlMs?: number;
  /** Most identities one person may have. Default 10. */
  maxIdentities?: number;
}

const DEFAULT_CODE_TTL_MS = 10 * 60_000;
const DEFAULT_MAX_IDENTITIES = 10;

/**
 * People: identities of several clients linked into one person by a one-time code, and the person's
 * language. {@link resolve} is what the rest of the server asks: an identity with every identity of its
 * person, through which conversations, usage and budgets are reached. An identity that was never linked
 * resolves to itself, so unlinked users work as before.
 */
export class People {
  readonly #deps: PeopleDeps;
  readonly #codeTtlMs: number;
  readonly #max: number;

  constructor(deps: PeopleDeps) {
    this.#deps = deps;
    this.#codeTtlMs = deps.codeTtlMs ?? DEFAULT_CODE_TTL_MS;
    this.#max = deps.maxIdentities ?? DEFAULT_MAX_IDENTITIES;
  }

  /** The identity, with `linked` set to its person's identities (only itself when not linked). */
  async resolve<T extends Identity>(identity: T): Promise<T & ActingIdentity> {
    const person = await this.#deps.store.personOf(identity);
    if (!person || person.identities.length < 2) {
      return { ...identity, linked: [{ clientId: identity.clientId, userId: identity.userId }] };
    }
    return { ...identity, linked: person.identities.map(({ clientId, userId }) => ({ clientId, userId })) };
  }

  /** A fresh code for `issuer`, replacing their unredeemed one. */
  async createCode(issuer: Identity): Promise<{ code: string; expiresAt: Date }> {
    const createdAt = this.#deps.clock();
    const expiresAt = new Date(createdAt.getTime() + this.#codeTtlMs);
    // A live code with the same hash is a 2^-39 chance per live code: draw again.
    for (let attempt = 0; attempt < 5; attempt++) {
      const code = newLinkCode();
      const codeHash = hashLinkCode(normalizeLinkCode(code) ?? code);
      if (await this.#deps.store.saveCode({ codeHash, issuer, createdAt, expiresAt }))
        return { code, expiresAt };
    }
    throw new AppError('internal', 'could not draw a free link code');
  }

  /**
   * Redeems `typed` for `redeemer`: its issuer and the redeemer become one person (with whoever either was
   * already linked to). The code is spent by the first claim, whatever happens after.
   */
  async redeem(redeemer: Identity, typed: string): Promise<LinkedIdentity[]> {
    const normalized = normalizeLinkCode(typed);
    if (!normalized) throw new ValidationError('code', 'must be 8 letters and digits, as XXXX-XXXX');
    const now = this.#deps.clock();
    const issuer = await this.#deps.store.claimCode(hashLinkCode(normalized), redeemer, now);
    // Unknown, used and expired look the same: nothing tells a guesser which codes exist.
    if (!issuer) throw new NotFoundError('link code (unknown, used or expired)');
    if (sameIdentity(issuer, redeemer)) {
      throw new AppError('failed_precondition', 'this code was asked for by this same user', {
        meta: { reason: 'same_identity' },
      });
    }
    const [theirs, ours] = await Promise.all([
      this.#deps.store.personOf(issuer),
      this.#deps.store.personOf(redeemer),
    ]);
    if (theirs && ours && theirs.personId === ours.personId) return theirs.identities;
    const size = (theirs?.identities.length ?? 1) + (ours?.identities.length ?? 1);
    if (size > this.#max) {
      throw new AppError('failed_precondition', `a person may link at most ${this.#max} identities`, {
        meta: { max_identities: String(this.#max) },
      });
    }
    const personId = theirs?.personId ?? ours?.personId ?? randomUUID();
    if (ours && ours.personId !== personId) await this.#deps.store.merge(ours.personId, personId);
    await this.#deps.store.join(personId, [...(theirs ? [] : [issuer]), ...(ours ? [] : [redeemer])], now);
    return (await this.#deps.store.personOf(redeemer))?.identities ?? [];
  }

  /** The identities of `identity`'s person, its own included; empty when it is not linked. */
  async links(identity: Identity): Promise<LinkedIdentity[]> {
    return (await this.#deps.store.personOf(identity))?.identities ?? [];
  }

  /**
   * Takes `target` (an identity of `actor`'s person, or `actor` itself) out of the person; a person left
   * with one identity is dissolved. Anything else is not_found: a caller learns nothing of others' links.
   */
  async unlink(actor: Identity, target: Identity = actor): Promise<boolean> {
    const person = await this.#deps.store.personOf(actor);
    if (!person) {
      if (sameIdentity(actor, target)) return false;
      throw new NotFoundError('linked identity');
    }
    if (!person.identities.some((i) => sameIdentity(i, target))) throw new NotFoundError('linked identity');
    return this.#detach(person, target);
  }

  /** For admins: takes any identity out of its person. */
  async undo(target: Identity): Promise<boolean> {
    const person = await this.#deps.store.personOf(target);
    return person ? this.#detach(person, target) : false;
  }

  /** Linked people for admins. */
  people(options: { clientId?: string; limit: number }): Promise<PersonRecord[]> {
    return this.#deps.store.people(options);
  }

  /** The language `identity`'s person chose last, from any of their identities ('' when none). */
  async language(identity: ActingIdentity): Promise<string> {
    // Resolved already (a turn resolves its owner first): one read instead of two.
    if (identity.linked) return this.#deps.store.language(identity.linked);
    const person = await this.#deps.store.personOf(identity);
    return this.#deps.store.language(person ? person.identities : [identity]);
  }

  async setLanguage(identity: Identity, language: string): Promise<void> {
    await this.#deps.store.setLanguage(identity, language, this.#deps.clock());
  }

  async #detach(person: PersonRecord, target: Identity): Promise<boolean> {
    const left = await this.#deps.store.leave(target);
    const rest = person.identities.filter((i) => !sameIdentity(i, target));
    const [last] = rest;
    if (rest.length === 1 && last) await this.#deps.store.leave(last);
    return left;
  }
}
