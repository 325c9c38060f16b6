import { createHash } from 'node:crypto';
import { MongoServerError, ObjectId } from 'mongodb';

// One document per key without a unique index: the document's `_id` is derived from the key, and the
// `_id` index is the one every MongoDB (and the CongoDB test peer) enforces.

/** 12 bytes of SHA-256 over the key parts: one stable ObjectId per key (2^-96 collision odds). */
export function derivedId(...parts: string[]): ObjectId {
  const hash = createHash('sha256').update(JSON.stringify(parts)).digest();
  return new ObjectId(hash.subarray(0, 12));
}

/** Two first upserts of one `_id` race: the loser sees E11000, and its retry finds the document. */
export async function retryOnDuplicate<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (err instanceof MongoServerError && err.code === 11000) return write();
    throw err;
  }
}
