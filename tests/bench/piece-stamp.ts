// The 8-character pieces of the streaming relay benchmark: `@` + the stand-in's send time (tenths of a
// millisecond, modulo STAMP_MODULUS, six base-36 digits) + `|`. Same machine, so the stand-in's clock
// and the client's agree (`performance.timeOrigin + performance.now()`).

/** Six base-36 digits of tenths of a millisecond: wraps every 60 hours. */
const STAMP_MODULUS = 36 ** 6;

export const PIECE_PATTERN = /@([0-9a-z]{6})\|/g;

const tenthsNow = () => Math.round((performance.timeOrigin + performance.now()) * 10);

export function pieceStamp(): string {
  return `@${(tenthsNow() % STAMP_MODULUS).toString(36).padStart(6, '0')}|`;
}

/** Milliseconds since the stamp (its six digits) was made. */
export function msSince(stamp: string): number {
  const sent = Number.parseInt(stamp, 36);
  return (((tenthsNow() % STAMP_MODULUS) - sent + STAMP_MODULUS) % STAMP_MODULUS) / 10;
}
