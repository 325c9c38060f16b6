import type { ToolDefinition } from '../tools/tool-runner.ts';

export interface LlmToolCall {
  id: string;
  name: string;
  /** JSON text. */
  arguments: string;
}

/** An image shown to the model with a user message (vision models only). */
export interface LlmImage {
  mediaType: string;
  data: Uint8Array;
}

export type LlmMessage =
  | { role: 'system'; content: string }
  | { role: 'user'; content: string; images?: LlmImage[] }
  | { role: 'assistant'; content: string; toolCalls?: LlmToolCall[] }
  | { role: 'tool'; content: string; toolCallId: string };

export interface LlmUsage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
}

export interface LlmRequest {
  messages: LlmMessage[];
  tools?: ToolDefinition[];
  /** Overrides the configured model. */
  model?: string;
  maxTokens?: number;
  /** Aborts the call (the client went away, or the turn's deadline passed). */
  signal?: AbortSignal;
  /**
   * Told each piece of the reply's text as the model writes it. Implementations retry a failed call only
   * before the first piece was told, so no text is ever told twice.
   */
  onDelta?: (text: string) => void;
}

export interface LlmResponse {
  content: string;
  toolCalls: LlmToolCall[];
  usage: LlmUsage;
  model: string;
}

/**
 * A chat model. Implementations throw an AppError with code `unavailable` (or `deadline_exceeded`)
 * when the model cannot answer; they never leak provider error text to clients. An answer that broke
 * off after some of it was told carries what that part used ({@link usageOfFailure}).
 */
export interface Llm {
  complete(request: LlmRequest): Promise<LlmResponse>;
  /** Whether a model endpoint is configured at all (for readiness). */
  readonly configured: boolean;
}

/** What a failed call used before it broke off: the text it had told (`completionTokens`) and the prompt. */
const failedUsage = new WeakMap<object, LlmUsage>();

/** Marks `err` as the failure of a call that had told part of its answer, and what that part used. */
export function withUsageOfFailure<E extends Error>(err: E, usage: LlmUsage): E {
  failedUsage.set(err, usage);
  return err;
}

/** The usage a failed call carries: charged like a reply, since its text reached the client. */
export function usageOfFailure(err: unknown): LlmUsage | undefined {
  return typeof err === 'object' && err !== null ? failedUsage.get(err) : undefined;
}
