import type { Logger } from '@parley/logger';
import { type Assistant, type AssistantReply, fallbackTitle } from '../assistant/assistant.ts';
import { NotFoundError, ValidationError } from '../errors.ts';
import type { ChatRef, SessionManager } from '../sessions/session-manager.ts';
import type {
  ConversationCursor,
  ConversationRecord,
  ConversationStore,
  Owner,
  StoredMessage,
} from './conversation-store.ts';

export interface ConversationServiceDeps {
  store: ConversationStore;
  sessions: SessionManager;
  assistant: Assistant;
  logger: Logger;
}

export interface TurnResult {
  conversation: ConversationRecord;
  reply: StoredMessage;
  usage: AssistantReply['usage'];
  toolsUsed: string[];
  isNew: boolean;
}

/**
 * The conversation use cases behind ChatService. Every read and write is scoped by owner; the user's
 * message is stored before the model is called so a failing model loses nothing.
 */
export class ConversationService {
  readonly #deps: ConversationServiceDeps;

  constructor(deps: ConversationServiceDeps) {
    this.#deps = deps;
  }

  async start(input: { owner: Owner; chat?: ChatRef; message?: string }): Promise<{
    conversation: ConversationRecord;
    turn?: TurnResult;
  }> {
    const conversation = await this.#create(input.owner, input.chat, input.message);
    if (input.chat) await this.#deps.sessions.bind(input.chat, conversation.id);
    if (!input.message) return { conversation };
    const turn = await this.#turn(conversation, input.message, true);
    return { conversation: turn.conversation, turn };
  }

  async continue(input: {
    owner: Owner;
    message: string;
    conversationId?: string;
    chat?: ChatRef;
  }): Promise<TurnResult> {
    const { owner, chat, conversationId, message } = input;
    if (conversationId) {
      const conversation = await this.#owned(conversationId, owner);
      if (chat) await this.#deps.sessions.bind(chat, conversation.id);
      return this.#turn(conversation, message, false);
    }
    if (!chat) throw new ValidationError('conversation_id', 'is required when the session has no chat_id');
    const current = await this.#deps.sessions.current(owner, chat);
    if (current) return this.#turn(current.conversation, message, false);
    const conversation = await this.#create(owner, chat, message);
    await this.#deps.sessions.bind(chat, conversation.id);
    return this.#turn(conversation, message, true);
  }

  async list(
    owner: Owner,
    options: { limit: number; after?: ConversationCursor },
  ): Promise<ConversationRecord[]> {
    return this.#deps.store.list(owner, options);
  }

  async describe(
    owner: Owner,
    id: string,
    page: { afterSeq: number; limit: number },
  ): Promise<{ conversation: ConversationRecord; messages: StoredMessage[] }> {
    const conversation = await this.#owned(id, owner);
    const messages = await this.#deps.store.messages(id, page);
    return { conversation, messages };
  }

  async delete(owner: Owner, id: string, chat?: ChatRef): Promise<void> {
    const conversation = await this.#owned(id, owner);
    if (!(await this.#deps.store.delete(id, owner))) throw new NotFoundError('conversation');
    const boundChat =
      chat ??
      (conversation.chatId ? { platform: conversation.platform, chatId: conversation.chatId } : undefined);
    if (boundChat) await this.#deps.sessions.unbind(boundChat, id);
  }

  /** Makes an existing conversation of the owner the chat's current one. */
  async switchTo(owner: Owner, id: string, chat: ChatRef): Promise<ConversationRecord> {
    const conversation = await this.#owned(id, owner);
    await this.#deps.sessions.bind(chat, id);
    return conversation;
  }

  async #owned(id: string, owner: Owner): Promise<ConversationRecord> {
    const conversation = await this.#deps.store.get(id, owner);
    if (!conversation) throw new NotFoundError('conversation');
    return conversation;
  }

  #create(
    owner: Owner,
    chat: ChatRef | undefined,
    firstMessage: string | undefined,
  ): Promise<ConversationRecord> {
    return this.#deps.store.create({
      owner,
      title: fallbackTitle(firstMessage ?? ''),
      platform: chat?.platform ?? '',
      chatId: chat?.chatId ?? '',
    });
  }

  async #turn(conversation: ConversationRecord, message: string, isNew: boolean): Promise<TurnResult> {
    const { store, assistant } = this.#deps;
    // Durable before the model runs: if the model fails, the user's message is still there.
    await store.append(conversation.id, { role: 'user', content: message });
    if (conversation.messageCount === 0 && !isNew)
      await store.setTitle(conversation.id, fallbackTitle(message));
    const history = await store.recentMessages(conversation.id, assistant.windowSize);
    const answer = await assistant.reply(history);
    const reply = await store.append(conversation.id, { role: 'assistant', content: answer.content });
    const updated = (await store.get(conversation.id, conversation.owner)) ?? conversation;
    return { conversation: updated, reply, usage: answer.usage, toolsUsed: answer.toolsUsed, isNew };
  }
}
