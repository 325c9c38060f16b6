import { createHash, randomInt } from 'node:crypto';

// A link code is short enough to type from one screen into another: 8 symbols of an alphabet without
// look-alikes (no 0/O, 1/I/L, U), 30^8 ≈ 2^39 codes, drawn with the CSPRNG. Guessing is bounded by the
// rate limit on redemptions and the code's 10-minute life; only its SHA-256 is stored.

const ALPHABET = 'ABCDEFGHJKMNPQRSTVWXYZ23456789';
const LENGTH = 8;

/** A fresh code as shown: `XXXX-XXXX`. */
export function newLinkCode(): string {
  const symbols = Array.from({ length: LENGTH }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');
  return `${symbols.slice(0, 4)}-${symbols.slice(4)}`;
}

/** A typed code in its stored form (upper case, no spaces or dashes), or undefined when it cannot be one. */
export function normalizeLinkCode(typed: string): string | undefined {
  const symbols = typed.toUpperCase().replace(/[\s-]/g, '');
  if (symbols.length !== LENGTH) return undefined;
  return [...symbols].every((c) => ALPHABET.includes(c)) ? symbols : undefined;
}

export function hashLinkCode(normalized: string): string {
  return createHash('sha256').update(normalized).digest('hex');
}
