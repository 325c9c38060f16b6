import type { CheckedUpload, PreparedAttachment } from './attachment-types.ts';
import { documentText } from './document-text.ts';
import type { Transcriber } from './transcriber.ts';

export interface AttachmentIntakeDeps {
  transcriber: Transcriber;
  /** Characters of document text one message may put into the prompt, all its documents together. */
  documentMaxChars: number;
}

/**
 * Makes checked uploads ready for the model before the message is stored: audio is transcribed, a
 * document's text is read (and cut to what the prompt takes), images pass as they are. Any failure
 * throws before anything is stored, so a refused file leaves no half-stored message.
 */
export class AttachmentIntake {
  readonly #deps: AttachmentIntakeDeps;

  constructor(deps: AttachmentIntakeDeps) {
    this.#deps = deps;
  }

  async prepare(uploads: readonly CheckedUpload[], signal: AbortSignal): Promise<PreparedAttachment[]> {
    let charsLeft = this.#deps.documentMaxChars;
    const prepared: PreparedAttachment[] = [];
    for (const upload of uploads) {
      const { kind, mediaType, name, data } = upload;
      const base = { kind, mediaType, name, data };
      if (kind === 'audio') {
        const fileName = `${baseName(name) || 'audio'}.${upload.extension}`;
        const heard =
          upload.heard ??
          (await this.#deps.transcriber.transcribe({ data, mediaType, fileName }, signal)).text;
        prepared.push({ ...base, transcript: heard });
      } else if (kind === 'document') {
        const read = await documentText(upload, Math.max(0, charsLeft), upload.field);
        charsLeft -= read.text.length;
        prepared.push({ ...base, text: read.text, ...(read.truncated ? { truncated: true } : {}) });
      } else {
        prepared.push(base);
      }
    }
    return prepared;
  }
}

/** The name without its extension: the sniffed format decides the extension a server sees. */
function baseName(name: string): string {
  return name
    .replace(/\.[^.]*$/, '')
    .replace(/[^\w.-]+/g, '_')
    .slice(0, 64);
}
