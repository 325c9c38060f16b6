import type { Logger } from '@parley/logger';
import { AppError, UnavailableError } from '../errors/app-error.ts';
import type { AudioFile, Transcriber, Transcription } from './transcriber.ts';

export interface OpenAiTranscriberOptions {
  model: string;
  /** An OpenAI-compatible endpoint including `/v1` (e.g. a local Whisper server); OpenAI's by default. */
  baseUrl?: string;
  apiKey?: string;
  timeoutMs: number;
  logger: Logger;
  fetch?: typeof fetch;
}

type OpenAiClient = import('openai').OpenAI;

/**
 * {@link Transcriber} over the OpenAI SDK's `audio.transcriptions.create` (multipart upload to
 * `<baseURL>/audio/transcriptions`). The SDK is loaded on the first voice note. One retry of our own is
 * not worth it here: the SDK retries a connection failure or 5xx once, with its explicit timeout.
 */
export class OpenAiTranscriber implements Transcriber {
  readonly #options: OpenAiTranscriberOptions;
  #client: Promise<{ client: OpenAiClient; sdk: typeof import('openai') }> | undefined;

  constructor(options: OpenAiTranscriberOptions) {
    this.#options = options;
  }

  async transcribe(audio: AudioFile, signal: AbortSignal): Promise<Transcription> {
    const { client, sdk } = await this.#load();
    const { model } = this.#options;
    try {
      const file = await sdk.toFile(audio.data, audio.fileName, { type: audio.mediaType });
      const response = await client.audio.transcriptions.create(
        { file, model, response_format: 'json' },
        { signal },
      );
      const usage = response.usage;
      return {
        text: response.text.trim(),
        model,
        ...(usage?.type === 'duration' ? { seconds: usage.seconds } : {}),
        ...(usage?.type === 'tokens'
          ? { inputTokens: usage.input_tokens, outputTokens: usage.output_tokens }
          : {}),
      };
    } catch (err) {
      throw this.#fail(err, sdk, signal);
    }
  }

  #fail(err: unknown, sdk: typeof import('openai'), signal: AbortSignal): AppError {
    if (signal.aborted) return new AppError('aborted', 'the transcription was cancelled', { cause: err });
    const status = err instanceof sdk.APIError ? err.status : undefined;
    this.#options.logger.warn({ err, status, model: this.#options.model }, 'transcription failed');
    if (status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429) {
      if (status === 401 || status === 403) {
        return new UnavailableError('the transcription service rejected the server’s credentials', {
          cause: err,
        });
      }
      return new AppError('invalid_argument', 'the audio could not be transcribed', {
        cause: err,
        meta: { argument: 'attachments' },
      });
    }
    return new UnavailableError('transcription is unavailable right now; try again shortly', { cause: err });
  }

  #load(): Promise<{ client: OpenAiClient; sdk: typeof import('openai') }> {
    this.#client ??= import('openai')
      .then((sdk) => {
        const { apiKey, baseUrl, timeoutMs, fetch } = this.#options;
        const client = new sdk.OpenAI({
          // Keyless local servers ignore the key; the SDK insists on one and would read the env itself.
          apiKey: apiKey ?? 'not-needed',
          baseURL: baseUrl ?? 'https://api.openai.com/v1',
          maxRetries: 1,
          timeout: timeoutMs,
          ...(fetch ? { fetch } : {}),
        });
        return { client, sdk };
      })
      .catch((err: unknown) => {
        this.#client = undefined;
        throw err;
      });
    return this.#client;
  }
}
