import * as z from 'zod';
import type { AttachmentUpload } from '../attachments/attachment-types.ts';
import { ValidationError } from '../errors/app-error.ts';

/**
 * OpenAI's content parts, as a user message may carry them: text, an image (`image_url`), audio
 * (`input_audio`) and a file (`file`). Files travel as bytes in the request: Parley never fetches a URL
 * a client names, and has no file store to name a `file_id` from.
 */
export function contentSchema(text: z.ZodString) {
  const textPart = z.object({ type: z.literal('text'), text });
  const imagePart = z.object({
    type: z.literal('image_url'),
    image_url: z.object({ url: z.string(), detail: z.string().nullish() }),
  });
  const audioPart = z.object({
    type: z.literal('input_audio'),
    input_audio: z.object({ data: z.string(), format: z.string().max(20) }),
  });
  const filePart = z.object({
    type: z.literal('file'),
    file: z.object({
      file_data: z.string().nullish(),
      file_id: z.string().nullish(),
      filename: z.string().nullish(),
    }),
  });
  const part = z.union([textPart, imagePart, audioPart, filePart, z.object({ type: z.string() })]);
  return z.union([text, z.array(part)]);
}

export type Content = z.infer<ReturnType<typeof contentSchema>>;

/** A message's text and its files as sent (nothing in them trusted yet), each naming where it was. */
export interface ContentRead {
  text: string;
  uploads: AttachmentUpload[];
}

/**
 * Reads a message's content. Only user messages may carry files (`files: false` refuses them, naming
 * the part); text parts are joined as they come.
 */
export function readContent(content: Content, field: string, files: boolean): ContentRead {
  if (typeof content === 'string') return { text: content, uploads: [] };
  let text = '';
  const uploads: AttachmentUpload[] = [];
  for (const [j, part] of content.entries()) {
    const at = `${field}[${j}]`;
    if ('text' in part && part.type === 'text') {
      text += part.text;
      continue;
    }
    if (!files || !['image_url', 'input_audio', 'file'].includes(part.type)) {
      const only = files ? 'text, image_url, input_audio and file' : 'text (files go in user messages)';
      throw new ValidationError(at, `is a ${part.type} part; only ${only} parts are supported here`);
    }
    uploads.push({ ...uploadOf(part, at), field: at });
  }
  return { text, uploads };
}

function uploadOf(part: Exclude<Content, string>[number], at: string): AttachmentUpload {
  if ('image_url' in part) {
    const { mediaType, data } = dataUrl(part.image_url.url, `${at}.image_url.url`);
    return { data, mediaType, fileName: '' };
  }
  if ('input_audio' in part) {
    const { data: base64, format } = part.input_audio;
    const data = base64Bytes(base64, `${at}.input_audio.data`);
    return { data, mediaType: `audio/${format}`, fileName: '' };
  }
  if ('file' in part) {
    const { file_data: fileData, file_id: fileId, filename } = part.file;
    if (!fileData) {
      const why = fileId ? 'file ids are not supported: send the file itself' : 'is required';
      throw new ValidationError(`${at}.file.file_data`, fileId ? `is missing (${why})` : why);
    }
    const { mediaType, data } = dataUrl(fileData, `${at}.file.file_data`);
    return { data, mediaType, fileName: filename ?? '' };
  }
  throw new ValidationError(at, `is a ${part.type} part without its ${part.type} object`);
}

/** `data:<type>;base64,<bytes>`; a remote URL is refused, never fetched. */
function dataUrl(url: string, field: string): { mediaType: string; data: Uint8Array } {
  if (/^https?:\/\//i.test(url)) {
    throw new ValidationError(
      field,
      'is a remote URL; Parley does not fetch URLs: send the file itself as a base64 data URL (data:image/png;base64,...)',
    );
  }
  const match = /^data:([^;,]*)((?:;[^;,]*)*);base64,/i.exec(url);
  if (!match) throw new ValidationError(field, 'must be a base64 data URL (data:<media type>;base64,...)');
  return { mediaType: match[1] ?? '', data: base64Bytes(url.slice(match[0].length), field) };
}

const BASE64 = /^[A-Za-z0-9+/\-_]*={0,2}$/;

function base64Bytes(text: string, field: string): Uint8Array {
  const compact = text.replace(/\s+/g, '');
  if (!BASE64.test(compact)) throw new ValidationError(field, 'is not valid base64');
  return Buffer.from(compact, compact.includes('-') || compact.includes('_') ? 'base64url' : 'base64');
}
