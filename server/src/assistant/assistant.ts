import type { Logger } from '@parley/logger';
import type { ToolDefinition, ToolRunner } from '../tools/tool-runner.ts';
import {
  type ContextMessage,
  estimateTokens,
  fitMessages,
  type HistoryMessage,
  type PlannedMessage,
  planContext,
} from './context-window.ts';
import type { Llm, LlmImage, LlmMessage } from './llm.ts';
import type { ReplyScope } from './reply-scope.ts';
import type { Summarizer } from './summarizer.ts';
import { runToolLoop, type ToolLoopResult } from './tool-loop.ts';

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

/** The reply and how it was made; `pendingToolCalls` are calls of {@link ReplyOptions.clientTools}. */
export interface AssistantReply extends ToolLoopResult {
  /** A refreshed running summary to store, when one was made. */
  summary?: { text: string; throughSeq: number };
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
    const clientTools = options.clientTools ?? [];
    const loop = { model, scope, clientId: conversation.owner?.clientId, clientTools };
    if (options.context) {
      const budget = this.#deps.contextBudgetTokens;
      const context = fitMessages(options.context, estimateTokens(system), budget);
      const messages: LlmMessage[] = [{ role: 'system', content: system }, ...context];
      return runToolLoop(this.#deps, { ...loop, messages });
    }
    const plan = planContext({
      recent,
      systemTokens: estimateTokens(system),
      summarizedThroughSeq: conversation.summarizedThroughSeq,
      budgetTokens: this.#deps.contextBudgetTokens,
      vision: options.loadImage !== undefined && this.seesImages(conversation.model),
    });
    const messages: LlmMessage[] = [{ role: 'system', content: system }];
    // Images are loaded only for the messages that show some (most turns have none: no promise each).
    if (plan.messages.some((m) => m.imageIds?.length)) {
      messages.push(...(await Promise.all(plan.messages.map((m) => withImages(m, options.loadImage)))));
    } else {
      messages.push(...plan.messages);
    }
    const reply: AssistantReply = await runToolLoop(this.#deps, { ...loop, messages });
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
}

/** A planned message with its images' bytes loaded (an image gone from the store is left out). */
async function withImages(message: PlannedMessage, loadImage: ImageLoader | undefined): Promise<LlmMessage> {
  const { imageIds, ...rest } = message;
  if (rest.role !== 'user' || !imageIds?.length || !loadImage) return rest;
  const images = (await Promise.all(imageIds.map(loadImage))).filter((image) => image !== null);
  return { ...rest, images };
}

/** English names of languages, made once (an Intl object is costly to make on every turn). */
let languageNames: Intl.DisplayNames | undefined;

/**
 * The system message with a line naming the user's language, so a reply (and a tool's wording) suits
 * them even when their message is short or in another script: "The user's language: Russian (ru)…".
 */
export function withLanguage(system: string, language: string | undefined): string {
  if (!language) return system;
  let name = language;
  try {
    languageNames ??= new Intl.DisplayNames(['en'], { type: 'language' });
    name = languageNames.of(language) ?? language;
  } catch {
    // Not a tag Intl knows: named by the tag itself.
  }
  return `${system}\n\nThe user's language: ${name} (${language}). Answer in it unless they write in another language or ask for one.`;
}
