/** What a transcription heard and what it used (for the owner's budget). */
export interface Transcription {
  text: string;
  /** The model that transcribed, the name prices are looked up by. */
  model: string;
  /** Seconds of audio, when the server reports them (models priced per minute). */
  seconds?: number;
  /** Tokens, when the server reports them (models priced per token). */
  inputTokens?: number;
  outputTokens?: number;
}

export interface AudioFile {
  data: Uint8Array;
  mediaType: string;
  /** A name whose extension says the format: transcription servers go by it. */
  fileName: string;
}

/**
 * Speech to text. Implementations throw an AppError: `unavailable` when the service cannot answer,
 * `invalid_argument` when it refuses the audio; never the provider's own text.
 */
export interface Transcriber {
  transcribe(audio: AudioFile, signal: AbortSignal): Promise<Transcription>;
}
