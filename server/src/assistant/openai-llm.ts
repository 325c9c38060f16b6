import type { Logger } from '@parley/logger';
import {
  BrokenCircuitError,
  DelegateBackoff,
  decorrelatedJitterGenerator,
  ExponentialBackoff,
  type IBackoff,
  type IBackoffFactory,
  type IRetryBackoffContext,
  IsolatedCircuitError,
} from 'cockatiel';
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import type {
  ChatCompletionCreateParamsStreaming,
  ChatCompletionFunctionTool,
  ChatCompletionMessageParam,
} from 'openai/resources/chat/completions';
import { AppError, isAppError, UnavailableError } from '../errors/app-error.ts';
import { linkSignals } from '../providers/abort.ts';
import { type FetchFunction, NODE_BODY_ONLY } from '../providers/keep-alive-fetch.ts';
import { type BreakerState, createResilience, type Resilience } from '../providers/resilience.ts';
import type { ToolDefinition } from '../tools/tool-runner.ts';
import { type Llm, type LlmMessage, type LlmRequest, type LlmResponse, withUsageOfFailure } from './llm.ts';
import { estimateUsage, IncompleteAnswerError, readChatStream } from './openai-stream.ts';

export interface OpenAiLlmOptions {
  /** Optional for keyless compatible servers (Ollama, vLLM): then `baseUrl` is required. */
  apiKey?: string;
  /** An OpenAI-compatible endpoint including `/v1`; defaults to OpenAI's. */
  baseUrl?: string;
  model: string;
  /** Per attempt: the longest wait for the answer to start, and for each next chunk of it. */
  timeoutMs: number;
  /** Retries after the first attempt; 0 disables retrying. */
  maxRetries: number;
  logger?: Logger;
  breaker?: { threshold?: number; halfOpenAfterMs?: number };
  /** Called on every circuit state change (metrics and `/ready` hook in here). */
  onBreakerStateChange?: (state: BreakerState) => void;
  /** The HTTP transport (a keep-alive fetch from the composition root); Node's fetch otherwise. */
  fetch?: FetchFunction;
  /** Production defaults: 250 ms, 8 s, 30 s. Tests shorten them. */
  backoff?: { initialDelayMs?: number; maxDelayMs?: number; maxRetryAfterMs?: number };
}

const MESSAGES = {
  open: 'the model is unavailable right now; try again shortly',
  timeout: 'the model did not answer in time',
  unreachable: 'the model endpoint cannot be reached',
  credentials: "the model endpoint rejected the server's credentials",
  rateLimited: 'the model is rate limited; try again shortly',
  rejected: 'the model rejected the request',
  cancelled: 'the request was cancelled',
  brokeOff: "the model's answer broke off part-way; try again",
} as const;

/**
 * A streamed attempt that failed after text was already told to the caller: not retried (the text would
 * be told twice), though its cause still counts against the provider's circuit.
 */
class StreamBrokenError extends Error {
  constructor(cause: unknown) {
    super('the model stream broke off', { cause });
    this.name = 'StreamBrokenError';
  }
}

/**
 * The {@link Llm} over the OpenAI chat-completions API (or a compatible server). The SDK's own retries
 * are off and it bounds each attempt; the one resilience policy ({@link createResilience}) retries
 * transient failures (honouring `retry-after`) through a circuit breaker, so a dead provider fails fast
 * instead of holding every chat for the full timeout.
 */
export class OpenAiLlm implements Llm {
  readonly configured = true;
  readonly #client: OpenAI;
  readonly #model: string;
  readonly #logger: Logger | undefined;
  readonly #policy: Resilience;
  readonly #timeoutMs: number;

  constructor(options: OpenAiLlmOptions) {
    if (!options.apiKey && !options.baseUrl) {
      throw new Error('OpenAiLlm needs an apiKey, or a baseUrl for a keyless compatible server');
    }
    this.#model = options.model;
    this.#logger = options.logger;
    this.#timeoutMs = options.timeoutMs;
    this.#client = new OpenAI({
      // Keyless servers ignore the key, but the SDK insists on one and would read OPENAI_API_KEY itself.
      apiKey: options.apiKey ?? 'not-needed',
      baseURL: options.baseUrl ?? 'https://api.openai.com/v1',
      maxRetries: 0,
      timeout: options.timeoutMs,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });

    const maxRetryAfterMs = options.backoff?.maxRetryAfterMs ?? 30_000;
    this.#policy = createResilience({
      name: 'model',
      logger: options.logger,
      retries: options.maxRetries,
      isTransient,
      // A provider asking for a longer wait than the cap is answered at once, with its retry_after.
      isRetryable: (err) =>
        !(err instanceof StreamBrokenError) && (retryAfterMs(err) ?? 0) <= maxRetryAfterMs,
      backoffFactory: retryAfterOr(
        new ExponentialBackoff({
          generator: decorrelatedJitterGenerator,
          initialDelay: options.backoff?.initialDelayMs ?? 250,
          maxDelay: options.backoff?.maxDelayMs ?? 8_000,
        }),
      ),
      describeFailure: (err) => ({ status: err instanceof APIError ? err.status : undefined }),
      breaker: options.breaker,
      onBreakerStateChange: options.onBreakerStateChange,
    });
  }

  async complete(request: LlmRequest): Promise<LlmResponse> {
    const model = request.model ?? this.#model;
    const body = toChatRequest(request, model);
    const promptChars = request.messages.reduce((sum, m) => sum + m.content.length, 0);
    let toldChars = 0;
    const onDelta = request.onDelta
      ? (text: string) => {
          toldChars += text.length;
          request.onDelta?.(text);
        }
      : undefined;
    try {
      return await this.#policy.execute(async (attemptSignal) => {
        try {
          return await this.#attempt(body, { model, promptChars, onDelta }, attemptSignal, request.signal);
        } catch (err) {
          throw toldChars > 0 ? new StreamBrokenError(err) : err;
        }
      }, request.signal);
    } catch (err) {
      if (!(err instanceof StreamBrokenError)) throw this.#fail(err, model, request.signal);
      // The client saw part of an answer: charged as such (providers bill what they streamed; a cut
      // stream never reaches the usage chunk, so it is estimated).
      const failure = this.#fail(err.cause, model, request.signal, MESSAGES.brokeOff);
      throw withUsageOfFailure(failure, estimateUsage(promptChars, toldChars));
    }
  }

  /**
   * One streamed call. The SDK makes the call; its answer is read in one pass (readChatStream). The SDK's
   * timeout ends when the answer starts, so a watchdog bounds the silence between chunks too: a provider
   * that stalls mid-answer fails like one that never answers.
   */
  async #attempt(
    body: ChatCompletionCreateParamsStreaming,
    options: { model: string; promptChars: number; onDelta: ((text: string) => void) | undefined },
    attemptSignal: AbortSignal,
    callerSignal: AbortSignal | undefined,
  ): Promise<LlmResponse> {
    const idle = new IdleWatch(this.#timeoutMs);
    const linked = linkSignals([attemptSignal, idle.signal, ...(callerSignal ? [callerSignal] : [])]);
    try {
      const response = await this.#client.chat.completions
        .create(body, { signal: linked.signal, fetchOptions: NODE_BODY_ONLY })
        .asResponse();
      return await readChatStream(response, { ...options, onBytes: idle.touch });
    } catch (err) {
      if (idle.signal.aborted && !callerSignal?.aborted) throw new APIConnectionTimeoutError();
      throw err;
    } finally {
      idle.stop();
      linked.release();
    }
  }

  /**
   * Maps a failure to a client-safe AppError, keeping the original as `cause`, and logs it once.
   * `unavailableMessage` replaces the generic text of an `unavailable` outcome.
   */
  #fail(
    err: unknown,
    model: string,
    signal: AbortSignal | undefined,
    unavailableMessage: string = MESSAGES.open,
  ): AppError {
    const status = err instanceof APIError ? err.status : undefined;
    const log = (level: 'debug' | 'warn' | 'error', error: AppError): AppError => {
      this.#logger?.[level]({ err, status, model, code: error.code }, 'model call failed');
      return error;
    };
    if (isAppError(err)) return log('warn', err);
    if (err instanceof APIUserAbortError || signal?.aborted) {
      // The turn's own deadline aborts with a TimeoutError; a client that left aborts with anything else.
      if (isTimeout(signal?.reason)) {
        return log('debug', new AppError('deadline_exceeded', MESSAGES.timeout, { cause: err }));
      }
      return log('debug', new AppError('aborted', MESSAGES.cancelled, { cause: err }));
    }
    // Logged with its cause when the circuit opened; one line per fast failure would only be noise.
    if (err instanceof BrokenCircuitError || err instanceof IsolatedCircuitError) {
      return log('debug', new UnavailableError(MESSAGES.open, { cause: err }));
    }
    if (err instanceof APIConnectionTimeoutError) {
      return log('warn', new AppError('deadline_exceeded', MESSAGES.timeout, { cause: err }));
    }
    if (err instanceof APIConnectionError) {
      return log('warn', new UnavailableError(MESSAGES.unreachable, { cause: err }));
    }
    // An operator has to fix these (key, permissions, model name); retrying or the user cannot.
    if (status === 401 || status === 403) {
      return log('error', new UnavailableError(MESSAGES.credentials, { cause: err }));
    }
    if (status === 404) return log('error', new UnavailableError(MESSAGES.open, { cause: err }));
    if (status === 429) {
      const wait = retryAfterMs(err);
      const meta: Record<string, string> =
        wait === undefined ? {} : { retry_after: String(Math.ceil(wait / 1000)) };
      return log('warn', new AppError('resource_exhausted', MESSAGES.rateLimited, { cause: err, meta }));
    }
    if (status === 400 || status === 422) {
      return log('warn', new AppError('failed_precondition', MESSAGES.rejected, { cause: err }));
    }
    return log('warn', new UnavailableError(unavailableMessage, { cause: err }));
  }
}

/**
 * Aborts after `ms` without a `touch()`. Coarse on purpose: a touch only notes the time (no timer is
 * cleared and set again per chunk); the one timer, when it fires, re-arms for what is left of the window.
 */
class IdleWatch {
  readonly #controller = new AbortController();
  readonly #ms: number;
  #last = performance.now();
  #timer: NodeJS.Timeout;

  constructor(ms: number) {
    this.#ms = ms;
    this.#timer = setTimeout(this.#check, ms);
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  readonly touch = (): void => {
    this.#last = performance.now();
  };

  stop(): void {
    clearTimeout(this.#timer);
  }

  readonly #check = (): void => {
    const quiet = performance.now() - this.#last;
    if (quiet >= this.#ms) this.#controller.abort();
    else this.#timer = setTimeout(this.#check, this.#ms - quiet);
  };
}

/** Failures worth retrying and counting against the provider: it may well answer a moment later. */
function isTransient(err: unknown): boolean {
  if (err instanceof StreamBrokenError) return isTransient(err.cause);
  if (err instanceof APIConnectionError || err instanceof IncompleteAnswerError) return true;
  const status = err instanceof APIError ? err.status : undefined;
  return status !== undefined && (status === 408 || status === 409 || status === 429 || status >= 500);
}

function isTimeout(reason: unknown): boolean {
  return reason instanceof Error && reason.name === 'TimeoutError';
}

/** The wait the provider asked for: `retry-after-ms`, else `retry-after` in seconds or as an HTTP date. */
export function retryAfterMs(err: unknown, now = Date.now()): number | undefined {
  if (!(err instanceof APIError) || !err.headers) return undefined;
  const ms = Number.parseFloat(err.headers.get('retry-after-ms') ?? '');
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const value = err.headers.get('retry-after')?.trim();
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return seconds >= 0 ? seconds * 1000 : undefined;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * Waits as long as the failed attempt's `retry-after` says, else the next exponential step. Cockatiel
 * hands the backoff the failure in `context.result`; the exponential state advances either way.
 */
function retryAfterOr(exponential: IBackoffFactory<unknown>) {
  return new DelegateBackoff<IRetryBackoffContext<unknown>, IBackoff<unknown>>((context, previous) => {
    const step = previous ? previous.next(context) : exponential.next(context);
    const hinted = 'error' in context.result ? retryAfterMs(context.result.error) : undefined;
    return { delay: hinted ?? step.duration, state: step };
  });
}

function toChatRequest(request: LlmRequest, model: string): ChatCompletionCreateParamsStreaming {
  return {
    model,
    stream: true,
    // Usage arrives in a last chunk; providers that ignore this get an estimate.
    stream_options: { include_usage: true },
    messages: request.messages.map(toChatMessage),
    // OpenAI rejects an empty `tools` array, so leave the key out instead.
    ...(request.tools?.length ? { tools: request.tools.map(toChatTool) } : {}),
    ...(request.maxTokens === undefined ? {} : { max_completion_tokens: request.maxTokens }),
  };
}

function toChatMessage(message: LlmMessage): ChatCompletionMessageParam {
  switch (message.role) {
    case 'system':
      return { role: 'system', content: message.content };
    case 'user':
      if (!message.images?.length) return { role: 'user', content: message.content };
      // Vision: the text, then each image inline as a data URL (no URL the provider would fetch).
      return {
        role: 'user',
        content: [
          ...(message.content ? [{ type: 'text' as const, text: message.content }] : []),
          ...message.images.map((image) => ({
            type: 'image_url' as const,
            image_url: {
              url: `data:${image.mediaType};base64,${Buffer.from(image.data).toString('base64')}`,
            },
          })),
        ],
      };
    case 'tool':
      return { role: 'tool', content: message.content, tool_call_id: message.toolCallId };
    case 'assistant':
      return {
        role: 'assistant',
        content: message.content,
        ...(message.toolCalls?.length
          ? {
              tool_calls: message.toolCalls.map((call) => ({
                id: call.id,
                type: 'function' as const,
                function: { name: call.name, arguments: call.arguments },
              })),
            }
          : {}),
      };
  }
}

function toChatTool(tool: ToolDefinition): ChatCompletionFunctionTool {
  return {
    type: 'function',
    function: {
      name: tool.name,
      description: tool.description,
      parameters: tool.parameters,
      strict: tool.strict !== false,
    },
  };
}
