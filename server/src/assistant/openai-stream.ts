import type { Readable } from 'node:stream';
import { APIError } from 'openai';
import type { ChatCompletion, ChatCompletionChunk } from 'openai/resources/chat/completions';
import { claimNodeBody } from '../providers/keep-alive-fetch.ts';
import type { LlmResponse, LlmToolCall, LlmUsage } from './llm.ts';

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
  const type = response.headers.get('content-type') ?? '';
  if (!type.includes('text/event-stream')) {
    fold.addCompletion((await response.json()) as ChatCompletion);
    return fold.result();
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
    if (chunk.model) this.#model = chunk.model;
    if (chunk.usage) this.#usage = fromUsage(chunk.usage);
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

  addCompletion(completion: ChatCompletion): void {
    if (completion.model) this.#model = completion.model;
    if (completion.usage) this.#usage = fromUsage(completion.usage);
    const message = completion.choices?.[0]?.message;
    if (message?.content) {
      this.#content += message.content;
      this.#options.onDelta?.(message.content);
    }
    for (const [index, call] of (message?.tool_calls ?? []).entries()) {
      if (call.type !== 'function') continue;
      this.#calls.set(index, { id: call.id, name: call.function.name, arguments: call.function.arguments });
    }
  }

  result(): LlmResponse {
    const toolCalls: LlmToolCall[] = [...this.#calls.entries()]
      .sort(([a], [b]) => a - b)
      .map(([index, call]) => ({ ...call, id: call.id || `call_${index}` }));
    const output = this.#content.length + toolCalls.reduce((sum, call) => sum + call.arguments.length, 0);
    return {
      content: this.#content,
      toolCalls,
      usage: this.#usage ?? estimateUsage(this.#options.promptChars, output),
      model: this.#model || this.#options.model,
    };
  }
}

function errorBody(error: unknown): Record<string, unknown> | undefined {
  return error && typeof error === 'object' ? (error as Record<string, unknown>) : undefined;
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
