import type { Logger } from '@parley/logger';
import { UnavailableError } from '../errors/app-error.ts';
import type { ToolCallRecord, ToolCallScope, ToolDefinition, ToolRunner } from '../tools/tool-runner.ts';
import {
  type ContextMessage,
  estimateTokens,
  fitMessages,
  type HistoryMessage,
  type PlannedMessage,
  planContext,
} from './context-window.ts';
import type { Llm, LlmImage, LlmMessage, LlmResponse, LlmToolCall, LlmUsage } from './llm.ts';
import type { ReplyScope } from './reply-scope.ts';
import type { Summarizer } from './summarizer.ts';

export interface AssistantDeps {
  llm: Llm;
  tools: ToolRunner;
  summarizer: Summarizer;
  systemPrompt: string;
  /** Most recent messages read per turn; the token budget then picks from these. */
  windowMessages: number;
  /** Token budget of the prompt: system prompt + summary + recent messages. */
  contextBudgetTokens: number;
  /** Rounds of tool calls before the model must answer with what it has. */
  maxToolRounds: number;
  /** Fold messages into the summary once this many have fallen out of the budget. */
  summarizeAfter: number;
  /** Models that can see images, and the model a conversation without its own runs on. */
  vision?: { models: readonly string[]; defaultModel: string };
  logger: Logger;
}

/** Reads a stored image's bytes for the prompt; null when it is gone. */
export type ImageLoader = (attachmentId: string) => Promise<LlmImage | null>;

/** What the assistant reads of a conversation (a stored conversation record fits). */
export interface ConversationSettings {
  /** Replaces the server's system prompt when set. */
  systemPrompt: string;
  /** Overrides the configured model when set. */
  model: string;
  /** Running summary of the messages through `summarizedThroughSeq` (0 = none). */
  summary: string;
  summarizedThroughSeq: number;
  /** Whose conversation it is: its client sees only the tools its policy allows (all when absent). */
  owner?: { clientId: string };
}

export interface AssistantReply {
  content: string;
  usage: LlmUsage;
  /** Tool calls made while producing this reply, with their results. */
  toolCalls: ToolCallRecord[];
  /** Distinct names of the tools used, in first-use order. */
  toolsUsed: string[];
  /** A refreshed running summary to store, when one was made. */
  summary?: { text: string; throughSeq: number };
  /**
   * Calls of the client's own tools ({@link ReplyOptions.clientTools}) the model made: the reply ends
   * with them, and the client runs them and sends their results in its next request. Empty otherwise.
   */
  pendingToolCalls: LlmToolCall[];
}

/** What a turn may bring beside the stored conversation (an OpenAI-compatible request). */
export interface ReplyOptions {
  /**
   * The messages the model reads instead of the stored history: a stateless client's whole history and
   * its new message. The newest that fit the context budget go in, after the system prompt.
   */
  context?: readonly ContextMessage[];
  /**
   * Tools the client declared: offered beside the server's own (replacing one of the same name). The
   * model calling one ends the reply with the call pending ({@link AssistantReply.pendingToolCalls}).
   */
  clientTools?: readonly ToolDefinition[];
  /** The user's language (BCP 47): the system message tells the model, as a hint. */
  language?: string;
  /** Reads stored images for the prompt (vision models only); without it images are named in words. */
  loadImage?: ImageLoader;
}

const CAP_NOTE =
  'You have used the maximum number of tool calls for this message. Answer now with the information ' +
  'you have, and say briefly if something could not be looked up.';

const CAP_FALLBACK = 'I could not finish looking that up. Please try asking in a simpler way.';

const EMPTY_ANSWER = 'the model returned an empty answer; try again';

/**
 * Turns a conversation's recent history into the next reply: builds a bounded prompt, lets the model
 * call tools (in parallel, for a capped number of rounds), and keeps a running summary of older turns.
 */
export class Assistant {
  readonly #deps: AssistantDeps;

  constructor(deps: AssistantDeps) {
    this.#deps = deps;
  }

  /** How many recent messages the caller should load for {@link reply}. */
  get windowSize(): number {
    return this.#deps.windowMessages;
  }

  /**
   * Writes the next reply, telling `scope` each piece of text and each tool call as they happen. The
   * reply's content is every piece told, in order (text said before tool calls included).
   */
  async reply(
    conversation: ConversationSettings,
    recent: HistoryMessage[],
    scope: ReplyScope,
    options: ReplyOptions = {},
  ): Promise<AssistantReply> {
    const system = withLanguage(this.#systemMessage(conversation), options.language);
    const model = conversation.model || undefined;
    const clientId = conversation.owner?.clientId;
    if (options.context) {
      const budget = this.#deps.contextBudgetTokens;
      const context = fitMessages(options.context, estimateTokens(system), budget);
      const messages: LlmMessage[] = [{ role: 'system', content: system }, ...context];
      return this.#toolLoop(messages, model, scope, clientId, options.clientTools ?? []);
    }
    const plan = planContext({
      recent,
      systemTokens: estimateTokens(system),
      summarizedThroughSeq: conversation.summarizedThroughSeq,
      budgetTokens: this.#deps.contextBudgetTokens,
      vision: options.loadImage !== undefined && this.seesImages(conversation.model),
    });
    const planned = await Promise.all(plan.messages.map((m) => withImages(m, options.loadImage)));
    const messages: LlmMessage[] = [{ role: 'system', content: system }, ...planned];
    const reply = await this.#toolLoop(messages, model, scope, clientId, options.clientTools ?? []);
    if (plan.unsummarized.length >= this.#deps.summarizeAfter) {
      const text = await this.#deps.summarizer.summarize(conversation.summary, plan.unsummarized, model);
      const last = plan.unsummarized.at(-1);
      if (text && last) reply.summary = { text, throughSeq: last.seq };
    }
    return reply;
  }

  /** The model a conversation runs on ('' = the default). */
  modelFor(model: string): string {
    return model || this.#deps.vision?.defaultModel || 'default';
  }

  /** Whether a conversation on `model` ('' = the default) may be sent images. */
  seesImages(model: string): boolean {
    const vision = this.#deps.vision;
    return vision?.models.includes(model || vision.defaultModel) ?? false;
  }

  /** A short model-made title, or null (the caller keeps its fallback title). */
  title(firstMessage: string, model?: string): Promise<string | null> {
    return this.#deps.summarizer.title(firstMessage, model || undefined);
  }

  #systemMessage(conversation: ConversationSettings): string {
    const base = conversation.systemPrompt || this.#deps.systemPrompt;
    if (!conversation.summary) return base;
    return `${base}\n\nSummary of the earlier conversation:\n${conversation.summary}`;
  }

  async #toolLoop(
    messages: LlmMessage[],
    model: string | undefined,
    scope: ReplyScope,
    clientId: string | undefined,
    clientTools: readonly ToolDefinition[],
  ): Promise<AssistantReply> {
    // What a tool call runs with: the turn's signal and logger, and the client whose tools these are.
    const toolScope: ToolCallScope = {
      signal: scope.signal,
      logger: scope.logger,
      ...(clientId !== undefined ? { clientId } : {}),
    };
    const theirs = new Set(clientTools.map((t) => t.name));
    const tools = [
      ...this.#deps.tools.definitions(clientId).filter((t) => !theirs.has(t.name)),
      ...clientTools,
    ];
    const usage: LlmUsage = { promptTokens: 0, completionTokens: 0, totalTokens: 0 };
    const toolCalls: ToolCallRecord[] = [];
    const text = new ReplyText(scope);
    for (let round = 0; ; round++) {
      const capped = round >= this.#deps.maxToolRounds;
      text.startRound();
      const response = await this.#deps.llm.complete({
        messages: capped ? [...messages, { role: 'system', content: CAP_NOTE }] : messages,
        ...(tools.length > 0 && !capped ? { tools } : {}),
        ...(model ? { model } : {}),
        signal: scope.signal,
        onDelta: (piece) => text.tell(piece),
      });
      addUsage(usage, response);
      text.settle(response.content);
      const pending = capped ? [] : response.toolCalls.filter((call) => theirs.has(call.name));
      const own = response.toolCalls.filter((call) => !theirs.has(call.name));
      if (own.length === 0 || capped) {
        if (!text.content && capped) text.tell(CAP_FALLBACK);
        // A model that finished without a word (a filtered or truncated answer) is not a reply; one that
        // ends by calling a tool the client declared is (its text may be empty).
        if (!text.content && pending.length === 0) throw new UnavailableError(EMPTY_ANSWER);
        const toolsUsed = [...new Set(toolCalls.map((t) => t.name))];
        return { content: text.content, usage, toolCalls, toolsUsed, pendingToolCalls: pending };
      }
      messages.push({ role: 'assistant', content: response.content, toolCalls: own });
      for (const call of own) {
        scope.emit({
          type: 'tool',
          phase: 'started',
          tool: { ...call, provenance: this.#sourceOf(call.name, tools) },
        });
      }
      const results = await Promise.all(own.map((call) => this.#run(call, scope, toolScope)));
      for (const record of results) {
        toolCalls.push(record);
        messages.push({ role: 'tool', toolCallId: record.id, content: record.result });
      }
      // The client's calls of this round wait for the client: the reply ends here, with them pending.
      if (pending.length > 0) {
        const toolsUsed = [...new Set(toolCalls.map((t) => t.name))];
        return { content: text.content, usage, toolCalls, toolsUsed, pendingToolCalls: pending };
      }
    }
  }

  #sourceOf(name: string, tools: ToolDefinition[]): string {
    return tools.find((tool) => tool.name === name)?.source ?? 'builtin';
  }

  async #run(call: LlmToolCall, scope: ReplyScope, toolScope: ToolCallScope): Promise<ToolCallRecord> {
    const result = await this.#deps.tools.invoke(call.name, call.arguments, toolScope);
    const record = {
      id: call.id,
      name: call.name,
      arguments: call.arguments,
      result: result.content,
      isError: result.isError,
    };
    const provenance = result.source ?? 'builtin';
    scope.emit({ type: 'tool', phase: 'finished', tool: { ...record, provenance } });
    return record;
  }
}

/**
 * The reply's text as told to the client: every round's pieces in order, a blank line between what the
 * model said before a tool call and what it says after, so the told text and the stored reply agree.
 */
class ReplyText {
  content = '';
  #newRound = false;
  #toldThisRound = false;

  readonly #scope: ReplyScope;

  constructor(scope: ReplyScope) {
    this.#scope = scope;
  }

  startRound(): void {
    this.#newRound = this.content !== '';
    this.#toldThisRound = false;
  }

  /** A model that answered without streaming (an Llm that never calls onDelta) is told in one piece. */
  settle(content: string): void {
    if (!this.#toldThisRound) this.tell(content);
  }

  tell(piece: string): void {
    if (!piece) return;
    this.#toldThisRound = true;
    if (this.#newRound) {
      this.#newRound = false;
      if (!/\s$/.test(this.content)) this.tell('\n\n');
    }
    this.content += piece;
    this.#scope.emit({ type: 'delta', text: piece });
  }
}

/** A planned message with its images' bytes loaded (an image gone from the store is left out). */
async function withImages(message: PlannedMessage, loadImage: ImageLoader | undefined): Promise<LlmMessage> {
  const { imageIds, ...rest } = message;
  if (rest.role !== 'user' || !imageIds?.length || !loadImage) return rest;
  const images = (await Promise.all(imageIds.map(loadImage))).filter((image) => image !== null);
  return { ...rest, images };
}

function addUsage(total: LlmUsage, response: LlmResponse): void {
  total.promptTokens += response.usage.promptTokens;
  total.completionTokens += response.usage.completionTokens;
  total.totalTokens += response.usage.totalTokens;
}

/**
 * The system message with a line naming the user's language, so a reply (and a tool's wording) suits
 * them even when their message is short or in another script: "The user's language: Russian (ru)…".
 */
export function withLanguage(system: string, language: string | undefined): string {
  if (!language) return system;
  let name = language;
  try {
    name = new Intl.DisplayNames(['en'], { type: 'language' }).of(language) ?? language;
  } catch {
    // Not a tag Intl knows: named by the tag itself.
  }
  return `${system}\n\nThe user's language: ${name} (${language}). Answer in it unless they write in another language or ask for one.`;
}
