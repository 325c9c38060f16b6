import { DEFAULT_ATTACHMENTS, type PolicyConfig, type ServerConfig } from '@parley/config';
import type { Logger } from '@parley/logger';
import { AttachmentIntake } from './attachments/attachment-intake.ts';
import type { Transcriber } from './attachments/transcriber.ts';
import { AppError } from './errors/app-error.ts';

/**
 * What turns need to take files: the transcriber (OpenAI's transcription API or a compatible server,
 * with its own model and endpoint; metered so its minutes reach the owner's budget) and the document
 * limit. Without an endpoint or key, voice notes are refused clearly and images and documents still work.
 */
export function createAttachmentIntake(
  config: Readonly<ServerConfig>,
  logger: Logger,
  metered: (transcriber: Transcriber) => Transcriber,
): AttachmentIntake {
  const { model, baseUrl, apiKey } = config.attachments.transcription;
  const transcriber: Transcriber =
    !apiKey && !baseUrl
      ? unconfigured
      : new LazyTranscriber(async () => {
          const { OpenAiTranscriber } = await import('./attachments/openai-transcriber.ts');
          return new OpenAiTranscriber({
            model,
            ...(baseUrl ? { baseUrl } : {}),
            ...(apiKey ? { apiKey } : {}),
            timeoutMs: config.openai.timeoutMs,
            logger,
          });
        });
  return new AttachmentIntake({
    transcriber: metered(transcriber),
    documentMaxChars: config.attachments.documentMaxChars,
  });
}

const unconfigured: Transcriber = {
  transcribe: () =>
    Promise.reject(
      new AppError(
        'failed_precondition',
        'voice messages cannot be transcribed: no transcription service is set up',
        {
          meta: { reason: 'transcription_not_configured' },
        },
      ),
    ),
};

/** Loads the transcriber (and the openai SDK) with the first voice note, not at start. */
class LazyTranscriber implements Transcriber {
  readonly #load: () => Promise<Transcriber>;
  #loaded: Promise<Transcriber> | undefined;

  constructor(load: () => Promise<Transcriber>) {
    this.#load = load;
  }

  async transcribe(...args: Parameters<Transcriber['transcribe']>) {
    this.#loaded ??= this.#load().catch((err: unknown) => {
      this.#loaded = undefined;
      throw err;
    });
    return (await this.#loaded).transcribe(...args);
  }
}

/**
 * The body a turn-taking call may send: the message's own limit plus the largest files any client may
 * attach, as base64 in JSON (4 bytes per 3). Other calls keep MAX_BODY_BYTES.
 */
export function turnBodyBytes(config: Readonly<ServerConfig>, policy: Readonly<PolicyConfig>): number {
  const largest = Math.max(
    0,
    ...Object.values(policy.clients).map((c) => (c.attachments ?? DEFAULT_ATTACHMENTS).maxTurnBytes),
  );
  return config.limits.maxBodyBytes + Math.ceil((largest * 4) / 3) + 64 * 1024;
}
