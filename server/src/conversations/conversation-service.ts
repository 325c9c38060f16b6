import type { Logger } from '@parley/logger';
import type { Assistant, AssistantReply } from '../assistant/assistant.ts';
import type { LlmToolCall } from '../assistant/llm.ts';
import type { AttachmentIntake } from '../attachments/attachment-intake.ts';
import type { CheckedUpload } from '../attachments/attachment-types.ts';
import type { KeyedLock } from '../coordination/keyed-lock.ts';
import { NotFoundError, ValidationError } from '../errors/app-error.ts';
import type { PersonResolver } from '../people/identity.ts';
import type {
  ConversationCursor,
  ConversationRecord,
  ConversationStore,
  Owner,
  StoredAttachment,
  StoredMessage,
} from './conversation-store.ts';
import {
  type NewConversationInput,
  type NextTurnInput,
  newConversation,
  type PreparedTurn,
  prepareFirstTurn,
  prepareNextTurn,
} from './prepared-turn.ts';
import { recordedAnswer } from './recorded-answer.ts';
import type { ChatRef, SessionManager } from './session-manager.ts';
import { detachedScope, type TurnScope } from './turn-scope.ts';
import { imageLoader } from './user-message.ts';

export interface ConversationServiceDeps {
  store: ConversationStore;
  sessionManager: SessionManager;
  assistant: Assistant;
  /** Serializes turns per conversation (and per chat while its conversation is resolved). */
  lock: KeyedLock;
  /** Ask the model for a title after a conversation's first reply (in the background). */
  generateTitles: boolean;
  /**
   * Finds the caller's person: a linked identity reaches the conversations of every identity of its
   * person (the store must be a LinkedConversationStore for that).
   */
  people: PersonResolver;
  /** Transcribes audio and reads documents sent with messages; without it, files are refused. */
  intake?: AttachmentIntake;
  logger: Logger;
}

export interface TurnResult {
  conversation: ConversationRecord;
  reply: StoredMessage;
  usage: AssistantReply['usage'];
  toolsUsed: string[];
  isNew: boolean;
  /** Calls of tools the client declared, which the reply ends with (history turns only). */
  pendingToolCalls?: LlmToolCall[];
}

export interface StartInput extends NewConversationInput {
  /** The user's language as the client knows it; the person's own choice comes first. */
  language?: string;
  /** Files sent with the first message, already checked against the client's policy. */
  attachments?: CheckedUpload[];
}

export interface ContinueInput {
  owner: Owner;
  /** The user's language as the client knows it; the person's own choice comes first. */
  language?: string;
  message: string;
  conversationId?: string;
  chat?: ChatRef;
  /** A retry of a request that failed after storing its message: do not store the message twice. */
  retryOfFailure?: boolean;
  /** Files sent with the message, already checked against the client's policy. */
  attachments?: CheckedUpload[];
}

/**
 * The conversation use cases behind ChatService. Every read and write is scoped by owner; the user's
 * message is stored before the model is called so a failing model loses nothing; turns on one
 * conversation run one at a time, in arrival order.
 */
export class ConversationService {
  readonly #deps: ConversationServiceDeps;
  readonly #background = new Set<Promise<void>>();

  constructor(deps: ConversationServiceDeps) {
    this.#deps = deps;
  }

  /**
   * A new conversation, and the first turn when there is a message. `scope` receives the turn's events
   * (`started` once the conversation exists, even without a message) and its signal stops the turn.
   */
  async start(
    input: StartInput,
    scope: TurnScope = detachedScope(this.#deps.logger),
  ): Promise<{ conversation: ConversationRecord; turn?: TurnResult }> {
    const uploads = input.attachments ?? [];
    if (!input.message && uploads.length === 0) {
      const conversation = await this.#create(input);
      scope.emit({ type: 'started', conversationId: conversation.id, isNew: true });
      return { conversation };
    }
    const language = await this.#language(await this.#deps.people.resolve(input.owner), input.language);
    const first = await prepareFirstTurn(this.#deps, input, uploads, scope);
    const turn = { ...first, isNew: true, language };
    const result = await this.#locked(first.conversation.id, () => this.#reply(turn, scope));
    return { conversation: result.conversation, turn: result };
  }

  /** The next turn of a conversation; `scope` as for {@link start}. */
  async continue(
    input: ContinueInput,
    scope: TurnScope = detachedScope(this.#deps.logger),
  ): Promise<TurnResult> {
    const { chat, conversationId, message, retryOfFailure = false } = input;
    const owner = await this.#deps.people.resolve(input.owner);
    const language = await this.#language(owner, input.language);
    const uploads = input.attachments ?? [];
    const existing = { message, uploads, retryOfFailure, language };
    if (conversationId) {
      // The turn reads the conversation under the lock (checking the owner there): one read per turn.
      const bound = { ...existing, ...(chat ? { bindChat: chat } : {}) };
      return this.#locked(conversationId, () => this.#turn({ id: conversationId, owner }, bound, scope));
    }
    if (!chat) throw new ValidationError('conversation_id', 'is required when the session has no chat_id');
    // One chat resolves its conversation and takes its turn in arrival order: two first messages
    // arriving together must not start two conversations.
    return this.#deps.lock.run(`chat:${chat.platform}:${chat.chatId}`, async () => {
      const current = await this.#deps.sessionManager.current(owner, chat);
      if (current) {
        const found = current.conversation;
        return this.#locked(found.id, () => this.#turn(found, existing, scope));
      }
      const first = await prepareFirstTurn(this.#deps, { owner, chat, message }, uploads, scope);
      const turn = { ...first, isNew: true, language };
      return this.#locked(first.conversation.id, () => this.#reply(turn, scope));
    });
  }

  async list(
    owner: Owner,
    options: { limit: number; after?: ConversationCursor },
  ): Promise<ConversationRecord[]> {
    return this.#deps.store.list(await this.#deps.people.resolve(owner), options);
  }

  async describe(
    owner: Owner,
    id: string,
    page: { afterSeq: number; limit: number },
  ): Promise<{ conversation: ConversationRecord; messages: StoredMessage[] }> {
    const conversation = await this.#owned(id, await this.#deps.people.resolve(owner));
    const messages = await this.#deps.store.messages(id, page);
    return { conversation, messages };
  }

  async delete(caller: Owner, id: string, chat?: ChatRef): Promise<void> {
    const owner = await this.#deps.people.resolve(caller);
    const conversation = await this.#owned(id, owner);
    const deleted = await this.#locked(id, () => this.#deps.store.delete(id, owner));
    if (!deleted) throw new NotFoundError('conversation');
    const boundChat =
      chat ??
      (conversation.chatId ? { platform: conversation.platform, chatId: conversation.chatId } : undefined);
    if (boundChat) await this.#deps.sessionManager.unbind(boundChat, id);
  }

  /** One of the owner's (the person's) attachments with its bytes; not_found for anyone else's. */
  async attachment(owner: Owner, id: string): Promise<StoredAttachment> {
    const found = await this.#deps.store.attachment(id, await this.#deps.people.resolve(owner));
    if (!found) throw new NotFoundError('attachment');
    return found;
  }

  /** The chat's current conversation (where its next message goes), or null. */
  async current(owner: Owner, chat: ChatRef): Promise<ConversationRecord | null> {
    const person = await this.#deps.people.resolve(owner);
    return (await this.#deps.sessionManager.current(person, chat))?.conversation ?? null;
  }

  /** Makes an existing conversation of the owner the chat's current one. */
  async switchTo(owner: Owner, id: string, chat: ChatRef): Promise<ConversationRecord> {
    const conversation = await this.#owned(id, await this.#deps.people.resolve(owner));
    await this.#deps.sessionManager.bind(chat, id);
    return conversation;
  }

  async #create(input: StartInput): Promise<ConversationRecord> {
    const conversation = await this.#deps.store.create(newConversation(input, input.message ?? ''));
    if (input.chat) await this.#deps.sessionManager.bind(input.chat, conversation.id);
    return conversation;
  }

  async #owned(id: string, owner: Owner): Promise<ConversationRecord> {
    const conversation = await this.#deps.store.get(id, owner);
    if (!conversation) throw new NotFoundError('conversation');
    return conversation;
  }

  #locked<T>(conversationId: string, fn: () => Promise<T>): Promise<T> {
    return this.#deps.lock.run(`conversation:${conversationId}`, fn);
  }

  /** A turn of an existing conversation: its user message stored (or found, on a retry), then the reply. */
  async #turn(conversation: ConversationRef, turn: TurnInput, scope: TurnScope): Promise<TurnResult> {
    // Read under the lock: the record may have changed (or vanished) while this turn waited.
    const current = await this.#owned(conversation.id, conversation.owner);
    if (turn.bindChat) await this.#deps.sessionManager.bind(turn.bindChat, current.id);
    const prepared = await prepareNextTurn(this.#deps, current, turn, scope);
    return this.#reply({ ...prepared, isNew: false, language: turn.language }, scope);
  }

  /** The rest of a turn once its user message is stored: the model's answer, stored. Under the lock. */
  async #reply(turn: ReplyInput, scope: TurnScope): Promise<TurnResult> {
    const { store, assistant } = this.#deps;
    const { conversation: current, userMessage, firstText, isNew } = turn;
    scope.emit({ type: 'started', conversationId: current.id, isNew, userMessage });
    const history = await store.recentMessages(current.id, assistant.windowSize);
    const answer = await this.#answer(current, history, scope, turn.language);
    const reply = await store.append(current.id, {
      role: 'assistant',
      content: answer.content,
      toolCalls: answer.toolCalls,
    });
    if (answer.summary) await store.setSummary(current.id, answer.summary.text, answer.summary.throughSeq);
    if (turn.firstTurn && this.#deps.generateTitles && firstText)
      this.#inBackground(this.#retitle(current, firstText));
    // Under the lock nothing else appended: the reply's position is the message count. Saves a read.
    const updated = { ...current, messageCount: reply.seq, updatedAt: reply.createdAt };
    return { conversation: updated, reply, usage: answer.usage, toolsUsed: answer.toolsUsed, isNew };
  }

  #answer(conversation: ConversationRecord, history: StoredMessage[], scope: TurnScope, language: string) {
    const loadImage = imageLoader(this.#deps.store, conversation.owner);
    return recordedAnswer(this.#deps, conversation, history, scope, {
      loadImage,
      ...(language ? { language } : {}),
    });
  }

  /** The language the model is told the user speaks: the person's choice, else the client's hint. */
  async #language(owner: Owner, hint: string | undefined): Promise<string> {
    return (await this.#deps.people.language(owner)) || hint || '';
  }

  /** Waits for background work (titles) to finish: for shutdown and tests. */
  async drain(): Promise<void> {
    while (this.#background.size > 0) await Promise.allSettled([...this.#background]);
  }

  #inBackground(task: Promise<void>): void {
    this.#background.add(task);
    void task.finally(() => this.#background.delete(task));
  }

  // The reply never waits for a title; a failed title keeps the fallback made from the first message.
  async #retitle(conversation: ConversationRecord, firstMessage: string): Promise<void> {
    try {
      const title = await this.#deps.assistant.title(firstMessage, conversation.model);
      if (title) await this.#deps.store.setTitle(conversation.id, title);
    } catch (err) {
      this.#deps.logger.warn({ err }, 'could not store a conversation title');
    }
  }
}

interface TurnInput extends NextTurnInput {
  /** The user's language for the model's hint ('' when unknown). */
  language: string;
  /** Make this chat's session point at the conversation once it is found to be the owner's. */
  bindChat?: ChatRef;
}

/** A turn whose user message is stored: what the reply needs. */
interface ReplyInput extends PreparedTurn {
  isNew: boolean;
  language: string;
}

/** What a turn needs to find its conversation: it reads the record itself, under the lock. */
type ConversationRef = Pick<ConversationRecord, 'id' | 'owner'>;
