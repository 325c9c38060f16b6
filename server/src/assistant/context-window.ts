import type { LlmMessage } from './llm.ts';

/** One message of a conversation's history, as the assistant reads it (a stored message fits). */
export interface HistoryMessage {
  /** Position in the conversation, 1-based, strictly increasing. */
  seq: number;
  role: 'user' | 'assistant' | 'system' | 'tool';
  content: string;
}

/**
 * A rough token count: about four characters per token for English text, plus a little per message.
 * Providers tokenize differently; a budget only needs to be safely bounded, not exact.
 */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4) + 4;
}

export interface ContextPlan {
  /** The prompt's messages after the system message, oldest first. */
  messages: LlmMessage[];
  /** Messages outside the budget that the running summary does not cover yet, oldest first. */
  unsummarized: HistoryMessage[];
  estimatedTokens: number;
}

/**
 * Picks the newest messages that fit `budgetTokens` (after the system prompt and summary). Older
 * messages already folded into the summary (seq ≤ summarizedThroughSeq) are never sent again; older ones
 * not yet folded are returned so the caller can fold them in.
 */
export function planContext(input: {
  recent: HistoryMessage[];
  systemTokens: number;
  summarizedThroughSeq: number;
  budgetTokens: number;
}): ContextPlan {
  const candidates = input.recent.filter(
    (m) => m.seq > input.summarizedThroughSeq && (m.role === 'user' || m.role === 'assistant'),
  );
  let used = input.systemTokens;
  let firstIncluded = candidates.length;
  for (let i = candidates.length - 1; i >= 0; i--) {
    const cost = estimateTokens((candidates[i] as HistoryMessage).content);
    // The newest message always goes in: without it there is nothing to answer.
    if (used + cost > input.budgetTokens && i < candidates.length - 1) break;
    used += cost;
    firstIncluded = i;
  }
  const included = candidates.slice(firstIncluded);
  return {
    messages: included.map(toLlmMessage),
    unsummarized: candidates.slice(0, firstIncluded),
    estimatedTokens: used,
  };
}

function toLlmMessage(message: HistoryMessage): LlmMessage {
  return message.role === 'user'
    ? { role: 'user', content: message.content }
    : { role: 'assistant', content: message.content };
}

/**
 * The newest of a request's own messages that fit `budgetTokens` (a stateless client sends its whole
 * history each time). An assistant message and the tool results answering it stay together (a provider
 * refuses tool results without their call), and the newest group always goes in.
 */
export function fitMessages(messages: readonly LlmMessage[], systemTokens: number, budgetTokens: number) {
  const groups: LlmMessage[][] = [];
  for (const message of messages) {
    const last = groups.at(-1);
    if (message.role === 'tool' && last) last.push(message);
    else groups.push([message]);
  }
  let used = systemTokens;
  let first = groups.length;
  for (let i = groups.length - 1; i >= 0; i--) {
    const cost = (groups[i] as LlmMessage[]).reduce((sum, m) => sum + messageTokens(m), 0);
    if (used + cost > budgetTokens && i < groups.length - 1) break;
    used += cost;
    first = i;
  }
  return groups.slice(first).flat();
}

function messageTokens(message: LlmMessage): number {
  const calls = message.role === 'assistant' ? (message.toolCalls ?? []) : [];
  return estimateTokens(message.content) + calls.reduce((sum, c) => sum + estimateTokens(c.arguments), 0);
}
