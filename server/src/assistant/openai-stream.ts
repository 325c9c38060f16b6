import type { ChatCompletion, ChatCompletionChunk } from 'openai/resources/chat/completions';
import type { LlmResponse, LlmToolCall, LlmUsage } from './llm.ts';

/**
 * An answer that did not reach its end: a stream that stopped before any chunk carried a finish reason
 * (cut off, or a provider that sent nothing at all), or a completion with no content, no tool calls and
 * no finish reason. A failure like any other (retried while nothing was told), never an empty reply.
 */
export class IncompleteAnswerError extends Error {
  constructor(what: string) {
    super(`the model's answer ended early: ${what}`);
    this.name = 'IncompleteAnswerError';
  }
}

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
  let finished = false;
  let received = 0;
  const calls = new Map<number, PartialToolCall>();
  for await (const chunk of chunks) {
    options.onChunk();
    received++;
    if (chunk.model) model = chunk.model;
    if (chunk.usage) usage = fromUsage(chunk.usage);
    if (chunk.choices[0]?.finish_reason) finished = true;
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
  // The SDK ends the iteration quietly when the body ends without `[DONE]`: only the finish reason,
  // which every complete answer carries, tells a whole answer from a cut one.
  if (!finished) throw new IncompleteAnswerError(`a stream of ${received} chunk(s) without a finish reason`);
  const toolCalls: LlmToolCall[] = [...calls.entries()]
    .sort(([a], [b]) => a - b)
    .map(([index, call]) => ({ ...call, id: call.id || `call_${index}` }));
  return answer(content, toolCalls, usage, model, options);
}

/**
 * Reads a whole `chat.completion` given in answer to a streamed request (some OpenAI-compatible servers
 * and proxies ignore `stream: true`): the same reply a stream would have given, its text told at once.
 */
export function readChatCompletion(completion: ChatCompletion, options: StreamCollectOptions): LlmResponse {
  const choice = completion.choices?.[0];
  const content = choice?.message?.content ?? '';
  const toolCalls: LlmToolCall[] = (choice?.message?.tool_calls ?? []).flatMap((call, index) =>
    call.type === 'function'
      ? [
          {
            id: call.id || `call_${index}`,
            name: call.function.name,
            arguments: call.function.arguments ?? '',
          },
        ]
      : [],
  );
  if (!content && toolCalls.length === 0 && !choice?.finish_reason) {
    throw new IncompleteAnswerError('a completion without content, tool calls or finish reason');
  }
  if (content) options.onDelta?.(content);
  const usage = completion.usage ? fromUsage(completion.usage) : undefined;
  return answer(content, toolCalls, usage, completion.model ?? '', options);
}

function answer(
  content: string,
  toolCalls: LlmToolCall[],
  usage: LlmUsage | undefined,
  model: string,
  options: StreamCollectOptions,
): LlmResponse {
  const output = content.length + toolCalls.reduce((sum, call) => sum + call.arguments.length, 0);
  return {
    content,
    toolCalls,
    usage: usage ?? estimateUsage(options.promptChars, output),
    model: model || options.model,
  };
}

function fromUsage(usage: NonNullable<ChatCompletion['usage']>): LlmUsage {
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
