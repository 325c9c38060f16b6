import { ValidationError } from '../errors/app-error.ts';
import type { AttachmentKind } from './attachment-types.ts';

/** What the bytes are, whatever the sender called them. */
export interface Sniffed {
  kind: AttachmentKind;
  mediaType: string;
  /** The extension a transcription server expects for this format ('' for documents). */
  extension: string;
}

/** The image formats vision models take (OpenAI's list). */
const IMAGES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp']);

/** Audio formats Whisper-compatible servers take, by what file-type reports, with their extension. */
const AUDIO: Record<string, { mediaType: string; extension: string }> = {
  'audio/ogg': { mediaType: 'audio/ogg', extension: 'ogg' },
  'audio/ogg; codecs=opus': { mediaType: 'audio/ogg', extension: 'ogg' },
  'audio/mpeg': { mediaType: 'audio/mpeg', extension: 'mp3' },
  'audio/wav': { mediaType: 'audio/wav', extension: 'wav' },
  'audio/flac': { mediaType: 'audio/flac', extension: 'flac' },
  'audio/x-m4a': { mediaType: 'audio/mp4', extension: 'm4a' },
  'audio/mp4': { mediaType: 'audio/mp4', extension: 'm4a' },
  'audio/webm': { mediaType: 'audio/webm', extension: 'webm' },
};

/** Text documents by the name's extension: only ever a subtype of text the bytes already proved to be. */
const TEXT_TYPES: Record<string, string> = {
  md: 'text/markdown',
  markdown: 'text/markdown',
  csv: 'text/csv',
  tsv: 'text/tab-separated-values',
  json: 'application/json',
  html: 'text/html',
  xml: 'application/xml',
  yaml: 'application/yaml',
  yml: 'application/yaml',
};

export const SUPPORTED_TYPES =
  'images (JPEG, PNG, GIF, WebP), audio (OGG/Opus, MP3, WAV, FLAC, M4A, WebM) and documents ' +
  '(PDF, and text: plain text, Markdown, CSV, JSON, source code)';

/**
 * The kind and media type of an attachment, from its bytes alone: file-type reads the magic numbers;
 * bytes with none are a document only when they are valid UTF-8 text. The sender's name can only pick
 * which text type a text file is. Anything else is refused (invalid_argument, `meta.media_type`).
 */
export async function sniffAttachment(data: Uint8Array, fileName: string, field: string): Promise<Sniffed> {
  // Loaded with the first attachment: file-type and its readers are some 95 KB that an idle server keeps
  // in memory for nothing (docs/performance.md, "Idle RSS").
  const { fileTypeFromBuffer } = await import('file-type');
  const found = await fileTypeFromBuffer(data);
  if (found) {
    if (IMAGES.has(found.mime)) return { kind: 'image', mediaType: found.mime, extension: found.ext };
    const audio = AUDIO[found.mime];
    if (audio) return { kind: 'audio', ...audio };
    if (found.mime === 'application/pdf') {
      return { kind: 'document', mediaType: 'application/pdf', extension: 'pdf' };
    }
    throw unsupported(field, found.mime, fileName);
  }
  if (!isText(data)) throw unsupported(field, 'application/octet-stream', fileName);
  const extension = /\.([A-Za-z0-9]{1,10})$/.exec(fileName)?.[1]?.toLowerCase() ?? '';
  return { kind: 'document', mediaType: TEXT_TYPES[extension] ?? 'text/plain', extension: '' };
}

/** UTF-8 (or ASCII) without NUL or other control bytes a text file never has. */
export function isText(data: Uint8Array): boolean {
  if (data.byteLength === 0) return false;
  // Tab, newline, form feed and carriage return are text; other C0 controls mean binary. UTF-8's
  // multi-byte sequences never contain bytes below 0x80, so checking bytes is checking characters.
  for (const byte of data)
    if (byte < 0x20 && byte !== 9 && byte !== 10 && byte !== 12 && byte !== 13) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(data);
    return true;
  } catch {
    return false;
  }
}

function unsupported(field: string, mediaType: string, fileName: string): ValidationError {
  const named = fileName ? ` (named "${fileName.slice(0, 80)}")` : '';
  return new ValidationError(
    field,
    `is a file of type ${mediaType}${named}, which is not supported: send ${SUPPORTED_TYPES}`,
    { media_type: mediaType },
  );
}
