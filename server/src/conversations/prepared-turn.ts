import type { Assistant } from '../assistant/assistant.ts';
import type { AttachmentIntake } from '../attachments/attachment-intake.ts';
import type { CheckedUpload } from '../attachments/attachment-types.ts';
import type {
  ConversationRecord,
  ConversationStore,
  NewConversation,
  Owner,
  StoredMessage,
} from './conversation-store.ts';
import type { ChatRef, SessionManager } from './session-manager.ts';
import { fallbackTitle } from './title.ts';
import type { TurnScope } from './turn-scope.ts';
import { prepareUserMessage, sameUserMessage, titleSource } from './user-message.ts';

/** A turn whose user message is stored: what the reply needs besides the turn's language. */
export interface PreparedTurn {
  conversation: ConversationRecord;
  userMessage: StoredMessage;
  /** What the conversation is titled from when this is its first turn. */
  firstText: string;
  /** The conversation had no message before this turn's (titles are generated after its reply). */
  firstTurn: boolean;
}

export interface PreparationDeps {
  store: ConversationStore;
  sessionManager: SessionManager;
  assistant: Assistant;
  intake?: AttachmentIntake;
}

/** What a new conversation is made from. */
export interface NewConversationInput {
  owner: Owner;
  chat?: ChatRef;
  message?: string;
  systemPrompt?: string;
  model?: string;
}

export interface NextTurnInput {
  message: string;
  /** Files sent with the message (checked; made ready for the model inside the turn). */
  uploads: CheckedUpload[];
  /** A retry of a request that failed after storing its message: do not store the message twice. */
  retryOfFailure: boolean;
}

/** The store's record for a new conversation titled `titleText`, with only the overrides given. */
export function newConversation(input: NewConversationInput, titleText: string): NewConversation {
  return {
    owner: input.owner,
    title: fallbackTitle(titleText),
    platform: input.chat?.platform ?? '',
    chatId: input.chat?.chatId ?? '',
    ...(input.systemPrompt ? { systemPrompt: input.systemPrompt } : {}),
    ...(input.model ? { model: input.model } : {}),
  };
}

/**
 * A new conversation with the turn's user message (its files made ready first), stored together: one
 * commit on SQLite, and nothing stored when the message is refused. Titled from the message.
 */
export async function prepareFirstTurn(
  deps: PreparationDeps,
  input: NewConversationInput,
  uploads: CheckedUpload[],
  scope: TurnScope,
): Promise<PreparedTurn> {
  const prepared = await prepareUserMessage(
    { message: input.message ?? '', uploads, conversationModel: input.model ?? '', signal: scope.signal },
    { assistant: deps.assistant, intake: deps.intake },
  );
  const firstText = titleSource(prepared);
  const { conversation, message } = await deps.store.createWithMessage(
    newConversation(input, firstText),
    prepared,
  );
  if (input.chat) await deps.sessionManager.bind(input.chat, conversation.id);
  return { conversation, userMessage: message, firstText, firstTurn: true };
}

/**
 * The user message of a turn of an existing conversation, stored (or found, on a retry). Runs under the
 * conversation's lock, on the record read under it.
 */
export async function prepareNextTurn(
  deps: PreparationDeps,
  conversation: ConversationRecord,
  turn: NextTurnInput,
  scope: TurnScope,
): Promise<PreparedTurn> {
  const { store, assistant } = deps;
  let current = conversation;
  const firstTurn = current.messageCount === 0;
  let userMessage = turn.retryOfFailure ? await retriedMessage(store, current.id, turn) : undefined;
  if (!userMessage) {
    const prepared = await prepareUserMessage(
      {
        message: turn.message,
        uploads: turn.uploads,
        conversationModel: current.model,
        signal: scope.signal,
      },
      { assistant, intake: deps.intake },
    );
    // Durable before the model runs: if the model fails, the user's message is still there.
    userMessage = await store.append(current.id, prepared);
    if (firstTurn) {
      // Started without a message: named after its first one.
      const title = fallbackTitle(titleSource(prepared));
      await store.setTitle(current.id, title);
      current = { ...current, title };
    }
  }
  return { conversation: current, userMessage, firstText: titleSource(userMessage), firstTurn };
}

/**
 * The retried request's message when it is already stored: the last message, or the one before a reply
 * that was cut short (the first attempt was interrupted, e.g. by a shutdown, after it began answering).
 */
async function retriedMessage(
  store: ConversationStore,
  conversationId: string,
  turn: NextTurnInput,
): Promise<StoredMessage | undefined> {
  const recent = await store.recentMessages(conversationId, 2);
  const last = recent.at(-1);
  const candidate = last?.role === 'assistant' && last.interrupted ? recent.at(-2) : last;
  return candidate?.role === 'user' && sameUserMessage(candidate, turn.message, turn.uploads.length)
    ? candidate
    : undefined;
}
