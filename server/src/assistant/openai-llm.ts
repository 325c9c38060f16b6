import type { Logger } from '@parley/logger';
import { decorrelatedJitterGenerator, ExponentialBackoff } from 'cockatiel';
import OpenAI, { APIConnectionTimeoutError, APIError } from 'openai';
import type { ChatCompletionCreateParamsStreaming } from 'openai/resources/chat/completions';
import type { AppError } from '../errors/app-error.ts';
import { linkSignals } from '../providers/abort.ts';
import { type FetchFunction, NODE_BODY_ONLY } from '../providers/keep-alive-fetch.ts';
import { type BreakerState, createResilience, type Resilience } from '../providers/resilience.ts';
import { IdleWatch } from './idle-watch.ts';
import { type Llm, type LlmRequest, type LlmResponse, withUsageOfFailure } from './llm.ts';
import { toChatRequest } from './openai-chat-request.ts';
import {
  isTransient,
  MESSAGES,
  retryAfterMs,
  retryAfterOr,
  StreamBrokenError,
  toModelFailure,
} from './openai-failure.ts';
import { estimateUsage, readChatStream } from './openai-stream.ts';

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

  /** Maps a failure to a client-safe AppError (see {@link toModelFailure}) and logs it once. */
  #fail(err: unknown, model: string, signal: AbortSignal | undefined, unavailableMessage?: string): AppError {
    const { error, level } = toModelFailure(err, signal, unavailableMessage);
    const status = err instanceof APIError ? err.status : undefined;
    this.#logger?.[level]({ err, status, model, code: error.code }, 'model call failed');
    return error;
  }
}
