import type { LlmMessage } from './llm.ts';
import { type PromptAttachment, promptText } from './prompt-attachments.ts';

/** One message of a conversation's history, as the assistant reads it (a stored message fits). */
export interface HistoryMessage {
  /** Position in the conversation, 1-based, strictly increasing. */
  seq: number;
  role: 'user' | 'assistant' | 'system' | 'tool';
  content: string;
  /** Files sent with a user message. */
  attachments?: PromptAttachment[];
}

/**
 * A rough token count: about four characters per token for English text, plus a little per message.
 * Providers tokenize differently; a budget only needs to be safely bounded, not exact.
 */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4) + 4;
}

/**
 * What one image costs in the budget: about what a vision model charges for a detailed image (OpenAI
 * counts 765 tokens for a 1024×1024 one). An estimate like the text's, bounded rather than exact.
 */
export const IMAGE_TOKENS = 800;

/** A prompt message with the ids of the images to show with it (the assistant loads their bytes). */
export type PlannedMessage = LlmMessage & { imageIds?: string[] };

export interface ContextPlan {
  /** The prompt's messages after the system message, oldest first. */
  messages: PlannedMessage[];
  /** Messages outside the budget that the running summary does not cover yet, oldest first. */
  unsummarized: HistoryMessage[];
  estimatedTokens: number;
}

/**
 * Picks the newest messages that fit `budgetTokens` (after the system prompt and summary), images counted
 * at {@link IMAGE_TOKENS} each. Going back in time, a message whose images do not fit goes in without
 * them (said in its text), so older images are dropped before any text is. Older messages already folded
 * into the summary (seq ≤ summarizedThroughSeq) are never sent again; older ones not yet folded are
 * returned so the caller can fold them in.
 */
export function planContext(input: {
  recent: HistoryMessage[];
  systemTokens: number;
  summarizedThroughSeq: number;
  budgetTokens: number;
  /** Whether the model sees images; without, images are only named in the text. */
  vision?: boolean;
}): ContextPlan {
  const candidates = input.recent.filter(
    (m) => m.seq > input.summarizedThroughSeq && (m.role === 'user' || m.role === 'assistant'),
  );
  let used = input.systemTokens;
  const included: PlannedMessage[] = [];
  let firstIncluded = candidates.length;
  for (let i = candidates.length - 1; i >= 0; i--) {
    const message = candidates[i] as HistoryMessage;
    // The newest message always goes in, with its images: without it there is nothing to answer.
    const newest = i === candidates.length - 1;
    const planned = fit(message, input.budgetTokens - used, input.vision ?? false, newest);
    if (!planned) break;
    used += planned.tokens;
    included.push(planned.message);
    firstIncluded = i;
  }
  return {
    // Gathered newest first.
    messages: included.reverse(),
    unsummarized: candidates.slice(0, firstIncluded),
    estimatedTokens: used,
  };
}

/** The message as sent with its images if they fit, else without them, else null. */
function fit(
  message: HistoryMessage,
  room: number,
  vision: boolean,
  always: boolean,
): { message: PlannedMessage; tokens: number } | null {
  if (message.role !== 'user') {
    const tokens = estimateTokens(message.content);
    return tokens <= room || always
      ? { message: { role: 'assistant', content: message.content }, tokens }
      : null;
  }
  const imageIds = vision
    ? (message.attachments ?? []).filter((a) => a.kind === 'image').map((a) => a.id)
    : [];
  if (imageIds.length > 0) {
    const content = promptText(message, vision ? 'shown' : 'blind');
    const tokens = estimateTokens(content) + imageIds.length * IMAGE_TOKENS;
    if (tokens <= room || always) return { message: { role: 'user', content, imageIds }, tokens };
  }
  const content = promptText(message, vision ? 'dropped' : 'blind');
  const tokens = estimateTokens(content);
  return tokens <= room || always ? { message: { role: 'user', content }, tokens } : null;
}

/**
 * A request's message for the prompt; a user message with images also says how it reads without them
 * (`withoutImages`), so older images can be left out before any text is.
 */
export type ContextMessage = LlmMessage & { withoutImages?: string };

/**
 * The newest of a request's own messages that fit `budgetTokens` (a stateless client sends its whole
 * history each time). An assistant message and the tool results answering it stay together (a provider
 * refuses tool results without their call), and the newest group always goes in. Images count at
 * {@link IMAGE_TOKENS} each; going back in time, a message whose images do not fit goes in without them.
 */
export function fitMessages(
  messages: readonly ContextMessage[],
  systemTokens: number,
  budgetTokens: number,
): LlmMessage[] {
  const groups: ContextMessage[][] = [];
  for (const message of messages) {
    const last = groups.at(-1);
    if (message.role === 'tool' && last) last.push(message);
    else groups.push([message]);
  }
  let used = systemTokens;
  const included: LlmMessage[][] = [];
  for (let i = groups.length - 1; i >= 0; i--) {
    const newest = i === groups.length - 1;
    const group = (groups[i] as ContextMessage[]).map(plain);
    const cost = group.reduce((sum, m) => sum + messageTokens(m), 0);
    if (used + cost <= budgetTokens || newest) {
      used += cost;
      included.unshift(group);
      continue;
    }
    const reduced = withoutImages(groups[i] as ContextMessage[]);
    const reducedCost = reduced?.reduce((sum, m) => sum + messageTokens(m), 0) ?? Infinity;
    if (!reduced || used + reducedCost > budgetTokens) break;
    used += reducedCost;
    included.unshift(reduced);
  }
  return included.flat();
}

function plain(message: ContextMessage): LlmMessage {
  const { withoutImages: _, ...rest } = message;
  return rest;
}

/** The group with its images left out (their places said in words), or null when it has none. */
function withoutImages(group: ContextMessage[]): LlmMessage[] | null {
  const [message] = group;
  if (group.length !== 1 || message?.role !== 'user' || message.withoutImages === undefined) return null;
  return [{ role: 'user', content: message.withoutImages }];
}

function messageTokens(message: LlmMessage): number {
  const calls = message.role === 'assistant' ? (message.toolCalls ?? []) : [];
  const images = message.role === 'user' ? (message.images?.length ?? 0) : 0;
  return (
    estimateTokens(message.content) +
    images * IMAGE_TOKENS +
    calls.reduce((sum, c) => sum + estimateTokens(c.arguments), 0)
  );
}
