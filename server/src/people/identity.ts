/** A user as one client knows them: the calling key's client and the user id it vouches for. */
export interface Identity {
  clientId: string;
  userId: string;
}

/**
 * An identity as it acts on a call: with `linked`, every identity of its person (itself included) once
 * resolved (see People.resolve). Conversations, usage and budgets are reached through `linked`; policy
 * (rate limits, models, tools) stays the acting identity's own client's.
 */
export interface ActingIdentity extends Identity {
  linked?: readonly Identity[];
}

/** The identities an owner reaches: its person's when resolved and linked, else only itself. */
export function identitiesOf(owner: ActingIdentity): readonly Identity[] {
  return owner.linked && owner.linked.length > 0 ? owner.linked : [owner];
}

export function sameIdentity(a: Identity, b: Identity): boolean {
  return a.clientId === b.clientId && a.userId === b.userId;
}

/** True when `identity` is one of `owner`'s (itself or one linked to it). */
export function reaches(owner: ActingIdentity, identity: Identity): boolean {
  return identitiesOf(owner).some((i) => sameIdentity(i, identity));
}

/** Finds the person behind an identity (People), or, where nothing is linked, nobody (tests, tools). */
export interface PersonResolver {
  resolve<T extends Identity>(identity: T): Promise<T & ActingIdentity>;
  /** The language the person chose ('' when none); cheaper for an identity already resolved. */
  language(identity: ActingIdentity): Promise<string>;
}

/** Every identity is its own person, with no language chosen: for code that runs without the store. */
export const UNLINKED: PersonResolver = { resolve: async (identity) => identity, language: async () => '' };
