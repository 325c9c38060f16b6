import OpenAI, { type APIError, toFile } from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { png, voiceNote } from './attachment-fixtures.ts';
import { imagesIn, type OpenAiStandIn, startOpenAiStandIn } from './openai-stand-in.ts';

// The stand-in's images and audio, through the real openai SDK: what Parley's server relies on.

let standIn: OpenAiStandIn;
let client: OpenAI;

beforeAll(async () => {
  standIn = await startOpenAiStandIn();
  client = new OpenAI({ apiKey: 'test-key', baseURL: standIn.url, maxRetries: 0, timeout: 5_000 });
});
afterAll(() => standIn.close());
beforeEach(() => standIn.reset());

describe('the OpenAI stand-in with media', () => {
  it('says which images it was shown, and keeps their bytes', async () => {
    const photo = png();
    const completion = await client.chat.completions.create({
      model: 'gpt-test',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'what is this?' },
            { type: 'image_url', image_url: { url: `data:image/png;base64,${photo.toString('base64')}` } },
          ],
        },
      ],
    });
    expect(completion.choices[0]?.message.content).toBe(
      `Echo: what is this? [saw 1 image: image/png ${photo.length} bytes]`,
    );
    expect(imagesIn(standIn.requests[0]?.body ?? {}).map((i) => i.data.equals(photo))).toEqual([true]);
  });

  it('transcribes the words fake audio carries, with its duration, and records the upload', async () => {
    const file = await toFile(voiceNote('good morning'), 'note.ogg', { type: 'audio/ogg' });
    const heard = await client.audio.transcriptions.create({ file, model: 'whisper-1' });
    expect(heard.text).toBe('good morning');
    expect(heard.usage).toEqual({ type: 'duration', seconds: 3 });
    expect(standIn.transcriptions).toMatchObject([{ model: 'whisper-1', fileName: 'note.ogg' }]);
  });

  it('answers scripted transcriptions and failures', async () => {
    standIn.scriptTranscription({ text: 'scripted', seconds: 61 }, { status: 503 });
    const file = () => toFile(Buffer.from('x'), 'a.ogg');
    const first = await client.audio.transcriptions.create({ file: await file(), model: 'whisper-1' });
    expect(first).toMatchObject({ text: 'scripted', usage: { seconds: 61 } });
    const failed = await client.audio.transcriptions
      .create({ file: await file(), model: 'whisper-1' })
      .catch((err: APIError) => err);
    expect((failed as APIError).status).toBe(503);
  });
});
