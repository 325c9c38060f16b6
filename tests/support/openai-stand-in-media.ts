import type { ServerResponse } from 'node:http';
import type { ChatRequestBody } from './openai-stand-in.ts';
import { errorBody, sendJson } from './openai-stand-in-answers.ts';

// What the OpenAI stand-in knows of images and audio: it reads the image parts of chat requests (so a
// test, and the echo, can say exactly what the model was shown) and answers /audio/transcriptions.

/** An image the model was shown: its media type and decoded bytes, in message order. */
export interface SeenImage {
  mediaType: string;
  bytes: number;
  data: Buffer;
}

/** Every image part in a chat request (data URLs only: Parley never sends a URL to fetch). */
export function imagesIn(body: ChatRequestBody): SeenImage[] {
  const seen: SeenImage[] = [];
  for (const message of body.messages ?? []) {
    if (!Array.isArray(message.content)) continue;
    for (const part of message.content as { type?: string; image_url?: { url?: string } }[]) {
      const match = /^data:([^;]+);base64,(.*)$/s.exec(part.image_url?.url ?? '');
      if (part.type !== 'image_url' || !match?.[1]) continue;
      const data = Buffer.from(match[2] ?? '', 'base64');
      seen.push({ mediaType: match[1], bytes: data.length, data });
    }
  }
  return seen;
}

/** " [saw 2 images: image/png 67 bytes, image/jpeg 120 bytes]" after the echo, or '' without images. */
export function describeImages(body: ChatRequestBody): string {
  const images = imagesIn(body);
  if (images.length === 0) return '';
  const list = images.map((i) => `${i.mediaType} ${i.bytes} bytes`).join(', ');
  return ` [saw ${images.length} image${images.length === 1 ? '' : 's'}: ${list}]`;
}

/** One /audio/transcriptions request as the stand-in received it. */
export interface RecordedTranscription {
  model: string;
  fileName: string;
  mediaType: string;
  data: Buffer;
}

/** What the stand-in answers to one transcription request. */
export type TranscriptionStep = { text: string; seconds?: number } | { status: number };

/**
 * The text a test's fake audio carries after `SAY:` (see tests/support/attachment-fixtures.ts), so a
 * voice note "says" what the test wants heard; 3 seconds of audio unless the step says otherwise.
 */
export function heardIn(data: Buffer): string {
  const at = data.indexOf('SAY:');
  return at < 0
    ? ''
    : data
        .subarray(at + 4)
        .toString('utf8')
        .trim();
}

/** Parses the SDK's multipart upload and answers like OpenAI's `json` response format. */
export async function answerTranscription(
  raw: Buffer,
  headers: Record<string, string | string[] | undefined>,
  step: TranscriptionStep | undefined,
  record: (t: RecordedTranscription) => void,
  res: ServerResponse,
): Promise<void> {
  let form: FormData;
  try {
    const contentType = String(headers['content-type'] ?? '');
    form = await new Response(new Uint8Array(raw), { headers: { 'content-type': contentType } }).formData();
  } catch {
    return sendJson(res, 400, errorBody(400, 'Could not parse multipart form'));
  }
  const file = form.get('file');
  if (!(file instanceof File))
    return sendJson(res, 400, errorBody(400, "Missing required parameter: 'file'"));
  const data = Buffer.from(await file.arrayBuffer());
  record({ model: String(form.get('model') ?? ''), fileName: file.name, mediaType: file.type, data });
  if (step && 'status' in step) return sendJson(res, step.status, errorBody(step.status));
  const text = step?.text ?? heardIn(data);
  sendJson(res, 200, { text, usage: { type: 'duration', seconds: step?.seconds ?? 3 } });
}
