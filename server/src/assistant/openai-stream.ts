import type { Readable } from 'node:stream';
import { APIError } from 'openai';
import type { ChatCompletion, ChatCompletionChunk } from 'openai/resources/chat/completions';
import { claimNodeBody } from '../providers/keep-alive-fetch.ts';
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

/** What a streamed attempt needs besides the response. */
export interface StreamReadOptions {
  /** The requested model, used when the provider's chunks name none. */
  model: string;
  /** Characters of the prompt, to estimate usage when the provider reports none (Ollama, older vLLM). */
  promptChars: number;
  /** Told each piece of text as it arrives. */
  onDelta?: ((text: string) => void) | undefined;
  /** Told every time bytes arrive (the idle watchdog). */
  onBytes(): void;
}

interface PartialToolCall {
  id: string;
  name: string;
  arguments: string;
}

/**
 * Reads a chat completion's answer in one pass: the body's bytes (the Node stream under our keep-alive
 * fetch when there is one, else the web stream), split into SSE lines, each `data:` JSON-parsed and folded
 * into one response as it comes: text deltas joined and told, tool calls assembled by `index`, usage from
 * the final `include_usage` chunk (or estimated). The openai SDK makes the call (auth, headers, timeout,
 * HTTP errors); its own chunk iterator (web streams and three async generators a chunk) is skipped. A
 * server that ignored `stream: true` and answered one JSON completion is read as that.
 */
export async function readChatStream(response: Response, options: StreamReadOptions): Promise<LlmResponse> {
  const fold = new ChunkFold(options);
  // Some compatible servers and proxies ignore `stream: true` and answer one JSON completion.
  if (isJson(response)) {
    return readChatCompletion((await response.json()) as ChatCompletion, options);
  }
  const lines = new SseData((data, event) => fold.addData(data, event, response.headers));
  const node = claimNodeBody(response);
  if (node) await readNode(node, (text) => lines.push(text), options.onBytes);
  else if (response.body) {
    const decoder = new TextDecoder();
    for await (const bytes of response.body as unknown as AsyncIterable<Uint8Array>) {
      options.onBytes();
      lines.push(decoder.decode(bytes, { stream: true }));
    }
  }
  lines.push('\n\n');
  return fold.result();
}

/**
 * Reads a Node stream through its 'data' events: no promise per chunk (an async iterator makes several,
 * and each pays for the async hooks that AsyncLocalStorage installs). A throwing `onText` ends the read.
 */
function readNode(node: Readable, onText: (text: string) => void, onBytes: () => void): Promise<void> {
  node.setEncoding('utf8');
  return new Promise<void>((resolve, reject) => {
    const fail = (err: unknown) => {
      node.off('data', onData);
      node.destroy();
      reject(err);
    };
    const onData = (text: string) => {
      onBytes();
      try {
        onText(text);
      } catch (err) {
        fail(err);
      }
    };
    node.on('data', onData);
    node.once('end', resolve);
    node.once('error', fail);
    // A socket that closes before the end of the body (the server died) must not leave a reader waiting.
    node.once('close', () => {
      if (!node.readableEnded) fail(new Error('the connection closed before the response ended'));
    });
  });
}

/** Server-sent events' `data` fields and event names, one call per event (multi-line data joined). */
class SseData {
  readonly #onData: (data: string, event: string) => void;
  #pending = '';
  #data: string[] = [];
  #event = '';

  constructor(onData: (data: string, event: string) => void) {
    this.#onData = onData;
  }

  push(text: string): void {
    const buffer = this.#pending + text;
    let start = 0;
    for (let end = buffer.indexOf('\n'); end >= 0; end = buffer.indexOf('\n', start)) {
      const line =
        buffer.charCodeAt(end - 1) === 13 ? buffer.slice(start, end - 1) : buffer.slice(start, end);
      start = end + 1;
      if (line === '') {
        if (this.#data.length > 0) this.#onData(this.#data.join('\n'), this.#event);
        this.#data = [];
        this.#event = '';
      } else if (line.startsWith('data:')) {
        this.#data.push(line.charCodeAt(5) === 32 ? line.slice(6) : line.slice(5));
      } else if (line.startsWith('event:')) {
        this.#event = line.slice(6).trim();
      }
    }
    this.#pending = buffer.slice(start);
  }
}

/** Folds chunks (or one whole completion) into the {@link LlmResponse}. */
class ChunkFold {
  readonly #options: StreamReadOptions;
  #content = '';
  #model = '';
  #usage: LlmUsage | undefined;
  #done = false;
  #finished = false;
  #received = 0;
  readonly #calls = new Map<number, PartialToolCall>();

  constructor(options: StreamReadOptions) {
    this.#options = options;
  }

  /** One event's data; as the SDK's own reader does, an `error` event or an `error` field throws. */
  addData(data: string, event: string, headers: Headers): void {
    if (this.#done) return;
    if (data === '[DONE]') {
      this.#done = true;
      return;
    }
    let chunk: ChatCompletionChunk & { error?: unknown };
    try {
      chunk = JSON.parse(data) as typeof chunk;
    } catch {
      throw new SyntaxError('Error reading response: malformed server-sent event JSON.');
    }
    if (event === 'error' || chunk.error) {
      throw new APIError(undefined, errorBody(chunk.error ?? chunk), undefined, headers);
    }
    this.addChunk(chunk);
  }

  addChunk(chunk: ChatCompletionChunk): void {
    this.#received++;
    if (chunk.model) this.#model = chunk.model;
    if (chunk.usage) this.#usage = fromUsage(chunk.usage);
    if (chunk.choices?.[0]?.finish_reason) this.#finished = true;
    const delta = chunk.choices?.[0]?.delta;
    if (!delta) return;
    if (delta.content) {
      this.#content += delta.content;
      this.#options.onDelta?.(delta.content);
    }
    for (const part of delta.tool_calls ?? []) {
      const call = this.#calls.get(part.index) ?? { id: '', name: '', arguments: '' };
      if (part.id) call.id = part.id;
      if (part.function?.name) call.name += part.function.name;
      if (part.function?.arguments) call.arguments += part.function.arguments;
      this.#calls.set(part.index, call);
    }
  }

  result(): LlmResponse {
    // A body that ends without `[DONE]` or a finish reason was cut: only the finish reason, which every
    // complete answer carries, tells a whole answer from a cut one.
    if (!this.#finished) {
      throw new IncompleteAnswerError(`a stream of ${this.#received} chunk(s) without a finish reason`);
    }
    const toolCalls: LlmToolCall[] = [...this.#calls.entries()]
      .sort(([a], [b]) => a - b)
      .map(([index, call]) => ({ ...call, id: call.id || `call_${index}` }));
    return answer(this.#content, toolCalls, this.#usage, this.#model, this.#options);
  }
}

function isJson(response: Response): boolean {
  return /^application\/(?:[\w.+-]+\+)?json\b/i.test(response.headers.get('content-type')?.trim() ?? '');
}

function errorBody(error: unknown): Record<string, unknown> | undefined {
  return error && typeof error === 'object' ? (error as Record<string, unknown>) : undefined;
}

/**
 * Reads a whole `chat.completion` given in answer to a streamed request (some OpenAI-compatible servers
 * and proxies ignore `stream: true`): the same reply a stream would have given, its text told at once.
 */
export function readChatCompletion(completion: ChatCompletion, options: StreamReadOptions): LlmResponse {
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
  options: StreamReadOptions,
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
