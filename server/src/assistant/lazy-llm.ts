import type { Llm, LlmRequest, LlmResponse } from './llm.ts';

/**
 * An {@link Llm} built on its first call. The model SDK is the largest library a server loads, and a
 * server is ready (and answers /ready, lists conversations) long before its first turn: loading the SDK
 * then keeps it out of the cold start and out of the memory of a server that never calls a model.
 * A failed load is not remembered, so the next call tries again.
 */
export class LazyLlm implements Llm {
  readonly configured = true;
  readonly #load: () => Promise<Llm>;
  #llm: Promise<Llm> | undefined;

  constructor(load: () => Promise<Llm>) {
    this.#load = load;
  }

  async complete(request: LlmRequest): Promise<LlmResponse> {
    return (await this.#resolve()).complete(request);
  }

  #resolve(): Promise<Llm> {
    this.#llm ??= this.#load().catch((err: unknown) => {
      this.#llm = undefined;
      throw err;
    });
    return this.#llm;
  }
}
