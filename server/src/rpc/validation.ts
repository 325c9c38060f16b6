import type { SessionMetadata } from '@parley/rpc';
import type { Owner } from '../conversations/conversation-store.ts';
import type { ChatRef } from '../conversations/session-manager.ts';
import { tooLong, ValidationError } from '../errors/app-error.ts';

// Request checks shared by the Twirp handlers and the streaming routes.

export interface ChatServiceLimits {
  maxMessageChars: number;
}

const ID = /^[A-Za-z0-9_-]{1,64}$/;
const PLATFORM = /^[a-z0-9_-]{1,32}$/;
const MAX_FIELD = 128;

export function ownerOf(clientId: string, session: SessionMetadata | undefined): Owner {
  const userId = session?.userId ?? '';
  if (userId.length > MAX_FIELD) throw tooLong('session.user_id', MAX_FIELD);
  return { clientId, userId };
}

const LANGUAGE = /^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8}){0,3}$/;

/** The session's language hint; one that is not a language tag is ignored (it is only a hint). */
export function languageOf(session: SessionMetadata | undefined): string | undefined {
  const language = session?.language ?? '';
  return language.length <= 35 && LANGUAGE.test(language) ? language : undefined;
}

export function chatOf(session: SessionMetadata | undefined): ChatRef | undefined {
  if (!session?.chatId) return undefined;
  if (session.chatId.length > MAX_FIELD) {
    throw tooLong('session.chat_id', MAX_FIELD);
  }
  if (!PLATFORM.test(session.platform)) {
    throw new ValidationError('session.platform', 'is required with chat_id and must match [a-z0-9_-]{1,32}');
  }
  return { platform: session.platform, chatId: session.chatId };
}

export function validMessage(message: string, limits: ChatServiceLimits): string {
  if (!message.trim()) throw new ValidationError('message', 'must not be empty', { reason: 'empty' });
  if (message.length > limits.maxMessageChars) {
    throw tooLong('message', limits.maxMessageChars);
  }
  return message;
}

export function optionalText(value: string, field: string, max: number): string | undefined {
  if (!value.trim()) return undefined;
  if (value.length > max) throw tooLong(field, max);
  return value;
}

export function validId(id: string, field: string): string {
  if (!id) throw new ValidationError(field, 'is required');
  if (!ID.test(id)) throw new ValidationError(field, 'is not a valid id');
  return id;
}
