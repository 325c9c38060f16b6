import type { Llm, LlmRequest, LlmResponse, LlmToolCall } from './llm.ts';

/** One scripted answer: a reply, tool calls, an error to throw, or a function of the request. */
export type ScriptedStep =
  | { reply: string; usage?: Partial<LlmResponse['usage']> }
  | { toolCalls: LlmToolCall[] }
  | { error: Error }
  | ((request: LlmRequest) => LlmResponse | Promise<LlmResponse>);

/**
 * A test fake of {@link Llm}: answers from a script, records every call. With an empty script it
 * echoes the last user message, which keeps tests that do not care about the reply short.
 */
export class ScriptedLlm implements Llm {
  readonly configured = true;
  readonly calls: LlmRequest[] = [];
  readonly #steps: ScriptedStep[];

  constructor(steps: ScriptedStep[] = []) {
    this.#steps = [...steps];
  }

  script(...steps: ScriptedStep[]): this {
    this.#steps.push(...steps);
    return this;
  }

  async complete(request: LlmRequest): Promise<LlmResponse> {
    this.calls.push(structuredClone({ ...request, signal: undefined, onDelta: undefined }));
    const answer = await this.#answer(request, this.#steps.shift());
    // Told in pieces, as a streaming model would.
    for (const piece of answer.content.match(/[\s\S]{1,8}/g) ?? []) request.onDelta?.(piece);
    return answer;
  }

  async #answer(request: LlmRequest, step: ScriptedStep | undefined): Promise<LlmResponse> {
    if (!step) return echo(request);
    if (typeof step === 'function') return step(request);
    if ('error' in step) throw step.error;
    if ('toolCalls' in step) return response('', step.toolCalls);
    return response(step.reply, [], step.usage);
  }
}

function echo(request: LlmRequest): LlmResponse {
  const lastUser = request.messages.findLast((m) => m.role === 'user');
  return response(`Echo: ${lastUser?.content ?? ''}`, []);
}

function response(
  content: string,
  toolCalls: LlmToolCall[],
  usage: Partial<LlmResponse['usage']> = {},
): LlmResponse {
  const promptTokens = usage.promptTokens ?? 10;
  const completionTokens = usage.completionTokens ?? 5;
  return {
    content,
    toolCalls,
    usage: {
      promptTokens,
      completionTokens,
      totalTokens: usage.totalTokens ?? promptTokens + completionTokens,
    },
    model: 'scripted',
  };
}
