import { UnavailableError } from '../errors/app-error.ts';
import type { Llm, LlmResponse } from './llm.ts';

/** The {@link Llm} when no endpoint is configured: the server still starts, chats say why they fail. */
export class UnconfiguredLlm implements Llm {
  readonly configured = false;

  async complete(): Promise<LlmResponse> {
    throw new UnavailableError(
      'no model is configured: set OPENAI_API_KEY (and OPENAI_BASE_URL for a compatible server such as Ollama or vLLM)',
    );
  }
}
