import type { Identity } from './identity.ts';

/** One identity of a person, and when it joined. */
export interface LinkedIdentity extends Identity {
  linkedAt: Date;
}

/** Identities linked into one person. */
export interface PersonRecord {
  personId: string;
  /** Oldest link first. */
  identities: LinkedIdentity[];
}

/** A stored link code: only its SHA-256 is kept, never the code. */
export interface NewLinkCode {
  codeHash: string;
  issuer: Identity;
  createdAt: Date;
  expiresAt: Date;
}

/**
 * Who is linked with whom, the link codes, and each identity's language. Correctness rests on single-
 * document atomic updates only (no unique index, no transaction, no TTL index is relied on): an identity's
 * record has one id derived from it, a code is claimed by one conditional update, and every identity
 * always names at most one person, so a crash between two writes leaves people valid, if not yet merged.
 */
export interface IdentityStore {
  /** The person the identity belongs to, or null when it is not linked. */
  personOf(identity: Identity): Promise<PersonRecord | null>;
  /**
   * Stores a code and drops the issuer's earlier unredeemed ones and every expired code. False (nothing
   * stored) when a live code has the same hash: the caller draws another.
   */
  saveCode(code: NewLinkCode): Promise<boolean>;
  /**
   * Claims a code that is unredeemed and unexpired at `now`, in one conditional update: of any number of
   * concurrent claims exactly one gets the issuer, the others null.
   */
  claimCode(codeHash: string, redeemer: Identity, now: Date): Promise<Identity | null>;
  /** Makes each identity part of `personId` (whatever person it was part of before). */
  join(personId: string, identities: readonly Identity[], at: Date): Promise<void>;
  /** Moves every identity of person `from` into person `to`. */
  merge(from: string, to: string): Promise<void>;
  /** Takes the identity out of its person; false when it was not linked. */
  leave(identity: Identity): Promise<boolean>;
  /** Linked people (those with an identity on `clientId`, when given), at most `limit`. */
  people(options: { clientId?: string; limit: number }): Promise<PersonRecord[]>;
  /** The language chosen last by any of these identities ('' when none chose one). */
  language(identities: readonly Identity[]): Promise<string>;
  setLanguage(identity: Identity, language: string, at: Date): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
