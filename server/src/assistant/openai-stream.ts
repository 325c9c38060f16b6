import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import type { LlmResponse, LlmToolCall, LlmUsage } from './llm.ts';

/** What a streamed attempt needs besides the chunks. */
export interface StreamCollectOptions {
  /** The requested model, used when the provider's chunks name none. */
  model: string;
  /** Characters of the prompt, to estimate usage when the provider reports none (Ollama, older vLLM). */
  promptChars: number;
  /** Told each piece of text as it arrives. */
  onDelta?: ((text: string) => void) | undefined;
  /** Told every chunk (the idle watchdog resets on it). */
  onChunk(): void;
}

interface PartialToolCall {
  id: string;
  name: string;
  arguments: string;
}

/**
 * Folds OpenAI `chat.completion.chunk`s into one response: text deltas joined (and reported as they come),
 * tool calls assembled by `index` (the id and name arrive first, the arguments in pieces), usage from the
 * final `include_usage` chunk or estimated when the provider sends none.
 */
export async function collectChatStream(
  chunks: AsyncIterable<ChatCompletionChunk>,
  options: StreamCollectOptions,
): Promise<LlmResponse> {
  let content = '';
  let model = '';
  let usage: LlmUsage | undefined;
  const calls = new Map<number, PartialToolCall>();
  for await (const chunk of chunks) {
    options.onChunk();
    if (chunk.model) model = chunk.model;
    if (chunk.usage) usage = fromUsage(chunk.usage);
    const delta = chunk.choices[0]?.delta;
    if (!delta) continue;
    if (delta.content) {
      content += delta.content;
      options.onDelta?.(delta.content);
    }
    for (const part of delta.tool_calls ?? []) {
      const call = calls.get(part.index) ?? { id: '', name: '', arguments: '' };
      if (part.id) call.id = part.id;
      if (part.function?.name) call.name += part.function.name;
      if (part.function?.arguments) call.arguments += part.function.arguments;
      calls.set(part.index, call);
    }
  }
  const toolCalls: LlmToolCall[] = [...calls.entries()]
    .sort(([a], [b]) => a - b)
    .map(([index, call]) => ({ ...call, id: call.id || `call_${index}` }));
  const output = content.length + toolCalls.reduce((sum, call) => sum + call.arguments.length, 0);
  return {
    content,
    toolCalls,
    usage: usage ?? estimateUsage(options.promptChars, output),
    model: model || options.model,
  };
}

function fromUsage(usage: NonNullable<ChatCompletionChunk['usage']>): LlmUsage {
  const promptTokens = usage.prompt_tokens ?? 0;
  const completionTokens = usage.completion_tokens ?? 0;
  return {
    promptTokens,
    completionTokens,
    totalTokens: usage.total_tokens ?? promptTokens + completionTokens,
  };
}

/** About four characters a token (OpenAI's rule of thumb): budgets and ledgers still get a number. */
export function estimateUsage(promptChars: number, outputChars: number): LlmUsage {
  const promptTokens = Math.ceil(promptChars / 4);
  const completionTokens = Math.ceil(outputChars / 4);
  return { promptTokens, completionTokens, totalTokens: promptTokens + completionTokens };
}
