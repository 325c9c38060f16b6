import type { Filter } from 'mongodb';
import { ValidationError } from '../errors/app-error.ts';
import type { ConversationCursor, Owner } from './conversation-store.ts';
import { type ConversationDoc, toObjectId } from './mongo-documents.ts';

/** Every conversation query is scoped to its owner; the indexes lead with these two fields. */
export function ownerFilter(owner: Owner): { clientId: string; userId: string } {
  return { clientId: owner.clientId, userId: owner.userId };
}

/** Keyset pagination: strictly after (updatedAt, _id) in the newest-first order. */
export function afterCursor(after: ConversationCursor): Filter<ConversationDoc>[] {
  const _id = toObjectId(after.id);
  if (!_id || Number.isNaN(after.updatedAt.getTime())) {
    throw new ValidationError('page_token', 'is not a token this server issued');
  }
  return [{ updatedAt: { $lt: after.updatedAt } }, { updatedAt: after.updatedAt, _id: { $lt: _id } }];
}

/** MongoDB reads limit(0) as "no limit"; a caller asking for none gets none. */
export function toLimit(limit: number): number {
  return Number.isFinite(limit) && limit > 0 ? Math.floor(limit) : 0;
}
