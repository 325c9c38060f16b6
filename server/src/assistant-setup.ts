import type { ServerConfig } from '@parley/config';
import type { Logger } from '@parley/logger';
import { Assistant } from './assistant/assistant.ts';
import { LazyLlm } from './assistant/lazy-llm.ts';
import type { Llm } from './assistant/llm.ts';
import { Summarizer } from './assistant/summarizer.ts';
import { UnconfiguredLlm } from './assistant/unconfigured-llm.ts';
import type { BreakerState } from './providers/resilience.ts';
import type { ToolRunner } from './tools/tool-runner.ts';

/** The assistant as configured: its model, tools, summaries, system prompt, window and vision models. */
export function createAssistant(parts: {
  config: Readonly<ServerConfig>;
  logger: Logger;
  llm: Llm;
  tools: ToolRunner;
}): Assistant {
  const { config, logger, llm, tools } = parts;
  return new Assistant({
    llm,
    tools,
    summarizer: new Summarizer({ llm, logger }),
    systemPrompt: config.systemPrompt,
    ...config.assistant,
    vision: { models: config.attachments.visionModels, defaultModel: config.openai.model },
    logger,
  });
}

/** The configured model endpoint, or one that says it is not configured (no key and no base URL). */
export function createLlm(
  config: Readonly<ServerConfig>,
  logger: Logger,
  onBreakerStateChange: (state: BreakerState) => void,
): Llm {
  const { apiKey, baseUrl, model, timeoutMs, maxRetries } = config.openai;
  if (!apiKey && !baseUrl) return new UnconfiguredLlm();
  // The openai SDK loads with the first model call, not at start (see LazyLlm).
  return new LazyLlm(async () => {
    const [{ OpenAiLlm }, { createKeepAliveFetch }] = await Promise.all([
      import('./assistant/openai-llm.ts'),
      import('./providers/keep-alive-fetch.ts'),
    ]);
    return new OpenAiLlm({
      ...(apiKey ? { apiKey } : {}),
      ...(baseUrl ? { baseUrl } : {}),
      model,
      timeoutMs,
      maxRetries,
      logger,
      onBreakerStateChange,
      fetch: createKeepAliveFetch().fetch,
    });
  });
}
