import { AsyncLocalStorage } from 'node:async_hooks';
import {
  type Llm,
  type LlmRequest,
  type LlmResponse,
  type LlmUsage,
  usageOfFailure,
} from '../assistant/llm.ts';
import type { AudioFile, Transcriber, Transcription } from '../attachments/transcriber.ts';
import type { UsageOwner } from './usage-ledger.ts';

/** What one model used: tokens, and seconds of audio for transcription models priced per minute. */
export interface MeteredAmount {
  inputTokens: number;
  outputTokens: number;
  audioSeconds?: number;
}

/** Usage by model, as one turn used it. */
export type ModelUsage = Map<string, MeteredAmount>;

/** Receives usage that arrives after its turn was charged (a background title, say). */
export type LateCharge = (owner: UsageOwner, model: string, usage: LlmUsage) => void;

interface Scope {
  owner: UsageOwner;
  usage: ModelUsage;
  closed: boolean;
}

/**
 * Counts every model call made on behalf of one owner: the turn's rounds, tool rounds, the running
 * summary and the background title, whichever code path makes them. The scope follows the async context
 * (like the trace context does), so the assistant, summarizer and streaming code need no usage plumbing;
 * {@link MeteredLlm}, wired once at the root, reports into it.
 */
export class UsageMeter {
  readonly #scopes = new AsyncLocalStorage<Scope>();
  readonly #late: LateCharge;

  constructor(deps: { onLateUsage: LateCharge }) {
    this.#late = deps.onLateUsage;
  }

  /**
   * Runs `fn` in a fresh scope for `owner` and returns its outcome with what it used, whether it
   * succeeded or failed (a failed turn's model calls cost money too). Calls that finish after `fn`
   * settles go to `onLateUsage` instead.
   */
  async measure<T>(
    owner: UsageOwner,
    fn: () => Promise<T>,
  ): Promise<{ outcome: PromiseSettledResult<T>; usage: ModelUsage }> {
    const scope: Scope = { owner, usage: new Map(), closed: false };
    const [outcome] = await this.#scopes.run(scope, () => Promise.allSettled([fn()]));
    scope.closed = true;
    return { outcome: outcome as PromiseSettledResult<T>, usage: scope.usage };
  }

  /** Adds one model call's usage to the current scope; outside any scope, nothing is charged. */
  record(model: string, usage: LlmUsage): void {
    const scope = this.#scopes.getStore();
    if (!scope) return;
    if (scope.closed) {
      this.#late(scope.owner, model, usage);
      return;
    }
    this.#add(scope, model, { inputTokens: usage.promptTokens, outputTokens: usage.completionTokens });
  }

  /** Adds a transcription's audio (and tokens, when its server counts them) to the current turn. */
  recordTranscription(transcription: Transcription): void {
    const scope = this.#scopes.getStore();
    // Transcription runs inside its turn, before the reply: it is never late.
    if (!scope || scope.closed) return;
    this.#add(scope, transcription.model, {
      inputTokens: transcription.inputTokens ?? 0,
      outputTokens: transcription.outputTokens ?? 0,
      audioSeconds: transcription.seconds ?? 0,
    });
  }

  #add(scope: Scope, model: string, amount: MeteredAmount): void {
    const total = scope.usage.get(model) ?? { inputTokens: 0, outputTokens: 0 };
    total.inputTokens += amount.inputTokens;
    total.outputTokens += amount.outputTokens;
    if (amount.audioSeconds) total.audioSeconds = (total.audioSeconds ?? 0) + amount.audioSeconds;
    scope.usage.set(model, total);
  }
}

/** A {@link Transcriber} that reports each transcription's usage to the meter. */
export class MeteredTranscriber implements Transcriber {
  readonly #transcriber: Transcriber;
  readonly #meter: UsageMeter;

  constructor(deps: { transcriber: Transcriber; meter: UsageMeter }) {
    this.#transcriber = deps.transcriber;
    this.#meter = deps.meter;
  }

  async transcribe(audio: AudioFile, signal: AbortSignal): Promise<Transcription> {
    const heard = await this.#transcriber.transcribe(audio, signal);
    this.#meter.recordTranscription(heard);
    return heard;
  }
}

/** An {@link Llm} that reports each call's usage to the meter: answered, or broken off part-way. */
export class MeteredLlm implements Llm {
  readonly #llm: Llm;
  readonly #meter: UsageMeter;
  readonly #defaultModel: string;

  constructor(deps: { llm: Llm; meter: UsageMeter; defaultModel: string }) {
    this.#llm = deps.llm;
    this.#meter = deps.meter;
    this.#defaultModel = deps.defaultModel;
  }

  get configured(): boolean {
    return this.#llm.configured;
  }

  async complete(request: LlmRequest): Promise<LlmResponse> {
    // Charged under the model asked for: that is the name the policy and the price table know.
    const model = request.model ?? this.#defaultModel;
    let response: LlmResponse;
    try {
      response = await this.#llm.complete(request);
    } catch (err) {
      // An answer that broke off after part of it reached the client is charged for that part.
      const used = usageOfFailure(err);
      if (used) this.#meter.record(model, used);
      throw err;
    }
    this.#meter.record(model, response.usage);
    return response;
  }
}
