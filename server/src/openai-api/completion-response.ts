import type { LlmToolCall, LlmUsage } from '../assistant/llm.ts';

/** What a finished turn answers, in OpenAI's terms. */
export interface CompletionOutcome {
  /** `chatcmpl-…`, from the stored reply's id. */
  id: string;
  /** Seconds since the epoch. */
  created: number;
  model: string;
  content: string;
  /** Calls of the client's own tools: the reply ends with them (`finish_reason: "tool_calls"`). */
  toolCalls: LlmToolCall[];
  usage: LlmUsage;
}

export function completionId(replyId: string): string {
  return `chatcmpl-${replyId.replaceAll('-', '')}`;
}

function wireToolCalls(calls: LlmToolCall[]) {
  return calls.map((c) => ({
    id: c.id,
    type: 'function' as const,
    function: { name: c.name, arguments: c.arguments },
  }));
}

function wireUsage(u: LlmUsage) {
  return {
    prompt_tokens: u.promptTokens,
    completion_tokens: u.completionTokens,
    total_tokens: u.totalTokens,
  };
}

function finishReason(outcome: CompletionOutcome): 'tool_calls' | 'stop' {
  return outcome.toolCalls.length > 0 ? 'tool_calls' : 'stop';
}

/** The non-streamed answer: one `chat.completion`. */
export function completionBody(outcome: CompletionOutcome) {
  const pending = outcome.toolCalls.length > 0;
  return {
    id: outcome.id,
    object: 'chat.completion',
    created: outcome.created,
    model: outcome.model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          // OpenAI sends null content beside tool calls when the model wrote nothing.
          content: pending && !outcome.content ? null : outcome.content,
          refusal: null,
          ...(pending ? { tool_calls: wireToolCalls(outcome.toolCalls) } : {}),
        },
        logprobs: null,
        finish_reason: finishReason(outcome),
      },
    ],
    usage: wireUsage(outcome.usage),
  };
}

/**
 * The `chat.completion.chunk` frames of one streamed answer. The text deltas are most of a stream, so
 * their frame is two fixed strings around the JSON-escaped text: no object is built per piece.
 */
export class ChunkFrames {
  readonly #head: string;
  readonly #deltaHead: string;
  readonly #deltaTail: string;
  readonly #usageField: string;
  readonly #includeUsage: boolean;

  constructor(stream: { id: string; created: number; model: string; includeUsage: boolean }) {
    this.#includeUsage = stream.includeUsage;
    // With include_usage, every chunk carries `usage: null` but the last (OpenAI's shape).
    this.#usageField = stream.includeUsage ? ',"usage":null' : '';
    this.#head = `{"id":${JSON.stringify(stream.id)},"object":"chat.completion.chunk","created":${stream.created},"model":${JSON.stringify(stream.model)}`;
    this.#deltaHead = `data: ${this.#head},"choices":[{"index":0,"delta":{"content":`;
    this.#deltaTail = `},"logprobs":null,"finish_reason":null}]${this.#usageField}}\n\n`;
  }

  /** The first chunk: the assistant's role. */
  first(): string {
    return this.#choice({ role: 'assistant', content: '', refusal: null }, null);
  }

  text(piece: string): string {
    return this.#deltaHead + JSON.stringify(piece) + this.#deltaTail;
  }

  /** Tool calls, the finish reason, usage when asked for, and `[DONE]`. */
  last(outcome: CompletionOutcome): string {
    let out = '';
    outcome.toolCalls.forEach((call, index) => {
      const wire = { index, ...wireToolCalls([call])[0] };
      out += this.#choice({ tool_calls: [wire] }, null);
    });
    out += this.#choice({}, finishReason(outcome));
    if (this.#includeUsage)
      out += `data: ${this.#head},"choices":[],"usage":${JSON.stringify(wireUsage(outcome.usage))}}\n\n`;
    return `${out}data: [DONE]\n\n`;
  }

  #choice(delta: object, finish: string | null): string {
    const choice = JSON.stringify([{ index: 0, delta, logprobs: null, finish_reason: finish }]);
    return `data: ${this.#head},"choices":${choice}${this.#usageField}}\n\n`;
  }
}

/** An error after the stream began: OpenAI's error object as one more `data:` frame, then the end. */
export function errorFrame(body: unknown): string {
  return `data: ${JSON.stringify(body)}\n\n`;
}
