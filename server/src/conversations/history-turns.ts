import { randomUUID } from 'node:crypto';
import type { Logger } from '@parley/logger';
import type { Assistant } from '../assistant/assistant.ts';
import type { LlmMessage, LlmToolCall } from '../assistant/llm.ts';
import type { AttachmentIntake } from '../attachments/attachment-intake.ts';
import type { KeyedLock } from '../coordination/keyed-lock.ts';
import type { ToolDefinition } from '../tools/tool-runner.ts';
import type { TurnResult } from './conversation-service.ts';
import type {
  ConversationRecord,
  ConversationStore,
  NewMessage,
  Owner,
  StoredMessage,
} from './conversation-store.ts';
import {
  type HistoryTurnMessage,
  pendingRecord,
  type ReadyMessages,
  readyMessages,
  withStoredTranscripts,
} from './history-files.ts';
import { recordedAnswer } from './recorded-answer.ts';
import { fallbackTitle } from './title.ts';
import { EMPTY_TRANSCRIPT, extendTranscript } from './transcript.ts';
import type { TurnScope } from './turn-scope.ts';
import { titleSource } from './user-message.ts';

export type { HistoryTurnMessage } from './history-files.ts';

export interface HistoryTurnsDeps {
  store: ConversationStore;
  assistant: Assistant;
  /** The same per-conversation lock as every other turn. */
  lock: KeyedLock;
  /** Transcribes audio and reads documents sent with messages; without it, files are refused. */
  intake?: AttachmentIntake;
  logger: Logger;
}

/** A turn whose caller holds the history (an OpenAI-compatible client): the whole of it, every time. */
export interface HistoryTurnInput {
  owner: Owner;
  /**
   * The request's messages in order (its system messages included: they are part of the transcript).
   * `messages.slice(newFrom)` are the new ones (the user's message, or results of the client's tools);
   * the messages before are the history a stored conversation must match exactly to be continued (their
   * files by their bytes).
   */
  messages: readonly HistoryTurnMessage[];
  newFrom: number;
  /** The system prompt the turn runs with (the operator's, with the client's appended when allowed). */
  systemPrompt?: string;
  model?: string;
  /** Tools the client declared; a call to one ends the turn with the call pending. */
  clientTools: readonly ToolDefinition[];
  /** False: nothing is stored (the turn still runs, and is limited and charged). */
  store: boolean;
}

/**
 * A turn's outcome. With `store: false` the conversation is a record never stored (its id is '') and the
 * reply is as it would have been stored.
 */
export interface HistoryTurnResult extends TurnResult {
  /** Calls of the client's tools the reply ends with. */
  pendingToolCalls: LlmToolCall[];
}

/**
 * Turns for callers that send their whole history each time. When the history before the new messages
 * is exactly a stored conversation's transcript (its fingerprint matches), the turn appends to that
 * conversation; any other history starts a new conversation holding it, so a conversation is never
 * rewritten. The request's own messages are the model's context.
 */
export class HistoryTurns {
  readonly #deps: HistoryTurnsDeps;

  constructor(deps: HistoryTurnsDeps) {
    this.#deps = deps;
  }

  /**
   * Runs the turn. `admit` is asked, before anything is stored or the model is called, whether the turn
   * may go ahead (told whether it starts a conversation); what it returns (the system prompt and model
   * the policy settled on) replaces the input's.
   */
  async run(
    request: HistoryTurnInput,
    scope: TurnScope,
    admit: (
      newConversation: boolean,
    ) => Promise<Pick<HistoryTurnInput, 'systemPrompt' | 'model'>> = async () => ({}),
  ): Promise<HistoryTurnResult> {
    const history = extendTranscript(EMPTY_TRANSCRIPT, request.messages.slice(0, request.newFrom));
    const { store } = this.#deps;
    const found =
      request.store && request.newFrom > 0 ? await store.findByTranscript(request.owner, history) : null;
    const admitted = { ...request, ...(await admit(request.store && !found)) };
    // Files are made ready (audio transcribed, documents read) before anything is stored.
    const messages = found
      ? await withStoredTranscripts(admitted.messages, admitted.newFrom, found, store)
      : admitted.messages;
    const ready = await readyMessages(
      messages,
      { model: admitted.model ?? '', signal: scope.signal },
      { assistant: this.#deps.assistant, intake: this.#deps.intake },
    );
    const input: ReadyInput = { ...admitted, ready };
    if (!input.store) return this.#turn(input, undefined, false, scope);
    if (found) {
      const continued = await this.#deps.lock.run(`conversation:${found.id}`, async () => {
        // Claimed under the lock and by compare-and-set: of two requests with the same history, one
        // continues the conversation and the other starts its own.
        const pending = `pending:${randomUUID()}`;
        if (!(await this.#deps.store.advanceTranscript(found.id, history, pending))) return undefined;
        // The client's system messages are the conversation's prompt, not messages of it.
        const fresh = ready.stored.slice(input.newFrom).filter((m) => m.role !== 'system');
        return this.#stored(input, found, fresh, { from: history, pending }, false, scope);
      });
      if (continued) return continued;
    }
    const conversation = await this.#deps.store.create({
      owner: input.owner,
      title: fallbackTitle(titleSource(ready.stored.find((m) => m.role === 'user') ?? { content: '' })),
      platform: 'openai',
      chatId: '',
      ...(input.systemPrompt ? { systemPrompt: input.systemPrompt } : {}),
      ...(input.model ? { model: input.model } : {}),
    });
    const all = ready.stored.filter((m) => m.role !== 'system');
    return this.#deps.lock.run(`conversation:${conversation.id}`, () =>
      this.#stored(input, conversation, all, { from: '', pending: '' }, true, scope),
    );
  }

  /** Stores the new messages (before the model runs), the reply, then the transcript's fingerprint. */
  async #stored(
    input: ReadyInput,
    conversation: ConversationRecord,
    toStore: readonly NewMessage[],
    fingerprint: { from: string; pending: string },
    isNew: boolean,
    scope: TurnScope,
  ): Promise<HistoryTurnResult> {
    const { store } = this.#deps;
    try {
      for (const message of toStore) await store.append(conversation.id, message);
      const result = await this.#turn(input, conversation, isNew, scope);
      const reply = await store.append(conversation.id, {
        role: 'assistant',
        content: result.reply.content,
        toolCalls: [...result.reply.toolCalls, ...result.pendingToolCalls.map(pendingRecord)],
      });
      const after = extendTranscript(EMPTY_TRANSCRIPT, [...input.messages, clientView(result)]);
      await store.advanceTranscript(conversation.id, fingerprint.pending, after);
      const updated = { ...conversation, messageCount: reply.seq, updatedAt: reply.createdAt };
      return { ...result, conversation: updated, reply };
    } catch (err) {
      // A failed turn's conversation matches no history any more: a retry starts afresh, never on top.
      if (fingerprint.pending) await store.advanceTranscript(conversation.id, fingerprint.pending, '');
      throw err;
    }
  }

  async #turn(
    input: ReadyInput,
    conversation: ConversationRecord | undefined,
    isNew: boolean,
    scope: TurnScope,
  ): Promise<HistoryTurnResult> {
    scope.emit({ type: 'started', conversationId: conversation?.id ?? '', isNew });
    const record = conversation ?? unstored(input);
    const settings = {
      ...(conversation ? { id: conversation.id } : {}),
      systemPrompt: input.systemPrompt ?? '',
      model: input.model ?? '',
      summary: '',
      summarizedThroughSeq: 0,
      owner: input.owner,
    };
    const context = input.ready.context.filter((m) => m.role !== 'system');
    const answer = await recordedAnswer(this.#deps, settings, [], scope, {
      context,
      clientTools: input.clientTools,
    });
    const reply: StoredMessage = {
      id: randomUUID(),
      conversationId: conversation?.id ?? '',
      seq: 0,
      role: 'assistant',
      content: answer.content,
      toolCalls: answer.toolCalls,
      createdAt: new Date(),
    };
    const { usage, toolsUsed, pendingToolCalls } = answer;
    return { conversation: record, isNew, reply, usage, toolsUsed, pendingToolCalls };
  }
}

/** The reply as the client holds it: its text and the calls of its own tools (Parley's stay inside). */
function clientView(result: HistoryTurnResult): LlmMessage {
  return { role: 'assistant', content: result.reply.content, toolCalls: result.pendingToolCalls };
}

/** The conversation a `store: false` turn runs in: never stored, so it has no id. */
function unstored(input: HistoryTurnInput): ConversationRecord {
  const now = new Date();
  return {
    id: '',
    owner: input.owner,
    title: '',
    platform: 'openai',
    chatId: '',
    createdAt: now,
    updatedAt: now,
    messageCount: 0,
    systemPrompt: input.systemPrompt ?? '',
    model: input.model ?? '',
    summary: '',
    summarizedThroughSeq: 0,
  };
}

/** A turn's input with its messages made ready. */
type ReadyInput = HistoryTurnInput & { ready: ReadyMessages };
