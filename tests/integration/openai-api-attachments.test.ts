import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { loadPolicyConfig } from '@parley/config';
import { AttachmentKind } from '@parley/rpc';
import { generateText } from 'ai';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { jpeg, pdf, png, voiceNote, zipBomb } from '../support/attachment-fixtures.ts';
import { imagesIn, type OpenAiStandIn, startOpenAiStandIn } from '../support/openai-stand-in.ts';
import { OTHER_KEY, type RunningParley, startParley, TEST_KEY } from '../support/parley.ts';

// Images, audio and files in /v1/chat/completions content parts, through the real openai SDK and the
// Vercel AI SDK against the real server and the OpenAI stand-in (which says which images it was shown).

const CONVERSATION = 'x-parley-conversation-id';
type Part = OpenAI.ChatCompletionContentPart;

const imagePart = (data: Buffer, type = 'image/png'): Part => ({
  type: 'image_url',
  image_url: { url: `data:${type};base64,${data.toString('base64')}` },
});

describe('files in chat completions', () => {
  let model: OpenAiStandIn;
  let parley: RunningParley;

  beforeAll(async () => {
    model = await startOpenAiStandIn();
    const policy = {
      clients: {
        test: { models: ['gpt-4o-mini', 'text-only'], attachments: { max_bytes: 200_000 } },
        other: { attachments: { kinds: ['image'] } },
      },
    };
    const env = {
      OPENAI_BASE_URL: model.url,
      OPENAI_API_KEY: 'test',
      OPENAI_MODEL: 'gpt-4o-mini',
      OPENAI_MAX_RETRIES: '0',
      TOOLS: 'none',
    };
    const options = {
      clients: ['test', 'other'],
      defaultModel: 'gpt-4o-mini',
      readFile: () => JSON.stringify(policy),
    };
    const loaded = loadPolicyConfig({ POLICY_FILE: 'policy.json' }, options);
    parley = await startParley({ env, overrides: { policy: loaded } });
  });
  afterAll(async () => {
    await parley.cleanup();
    await model.close();
  });
  beforeEach(() => model.reset());

  const client = (apiKey = TEST_KEY) =>
    new OpenAI({ baseURL: `${parley.url}/v1`, apiKey, maxRetries: 0, timeout: 10_000 });
  const ask = (
    content: Part[],
    user: string,
    extra: Partial<OpenAI.ChatCompletionCreateParamsNonStreaming> = {},
  ) =>
    client()
      .chat.completions.create({ model: 'parley', messages: [{ role: 'user', content }], user, ...extra })
      .withResponse();
  const askWith = (messages: OpenAI.ChatCompletionMessageParam[], user: string) =>
    client().chat.completions.create({ model: 'parley', messages, user }).withResponse();
  const messagesOf = async (id: string, user: string) =>
    (
      await parley
        .client()
        .describeConversation({ conversationId: id, session: { platform: '', userId: user, chatId: '' } })
    ).messages;
  const conversationsOf = async (user: string) =>
    (await parley.client().listConversations({ session: { platform: '', userId: user, chatId: '' } }))
      .conversations;

  it('shows an image to the model, stores it, and continues the conversation when the history comes back', async () => {
    const photo = png();
    const question: Part[] = [
      { type: 'text', text: 'What is in this picture?' },
      imagePart(photo, 'image/jpeg'),
    ];
    const { data, response } = await ask(question, 'ada');
    const first = data.choices[0]?.message.content ?? '';
    expect(first).toBe(
      `Echo: What is in this picture?\n\n[Image: attached below] [saw 1 image: image/png ${photo.length} bytes]`,
    );
    expect(imagesIn(model.requests[0]?.body ?? {}).map((i) => i.data.equals(photo))).toEqual([true]);
    const id = response.headers.get(CONVERSATION) ?? '';
    const [user] = await messagesOf(id, 'ada');
    expect(user?.content).toBe('What is in this picture?');
    expect(user?.attachments).toMatchObject([
      { kind: AttachmentKind.IMAGE, mediaType: 'image/png', sizeBytes: String(photo.length) },
    ]);

    // The same history (the same image bytes) continues the conversation; the model still sees the image.
    const history: OpenAI.ChatCompletionMessageParam[] = [
      { role: 'user', content: question },
      { role: 'assistant', content: first },
      { role: 'user', content: 'And its colour?' },
    ];
    const next = await askWith(history, 'ada');
    expect(next.response.headers.get(CONVERSATION)).toBe(id);
    expect(imagesIn(model.requests[1]?.body ?? {})).toHaveLength(1);
    expect((await messagesOf(id, 'ada')).map((m) => m.content)).toEqual([
      'What is in this picture?',
      first,
      'And its colour?',
      next.data.choices[0]?.message.content,
    ]);

    // Another picture under the same words is another history: a new conversation, never this one.
    const other: OpenAI.ChatCompletionMessageParam[] = [
      { role: 'user', content: [question[0] as Part, imagePart(jpeg(), 'image/jpeg')] },
      ...history.slice(1),
    ];
    const forked = await askWith(other, 'ada');
    expect(forked.response.headers.get(CONVERSATION)).not.toBe(id);
    expect(await messagesOf(id, 'ada')).toHaveLength(4);
  });

  it('transcribes an audio part and reads a file part like any attachment, hearing the audio once', async () => {
    const parts: Part[] = [
      {
        type: 'input_audio',
        input_audio: { data: voiceNote('summarise this').toString('base64'), format: 'wav' },
      },
      {
        type: 'file',
        file: {
          filename: 'bill.pdf',
          file_data: `data:application/pdf;base64,${pdf('Total 42').toString('base64')}`,
        },
      },
    ];
    const { data, response } = await ask(parts, 'voice');
    // The stand-in echoes the user's message as the model read it: the transcript, then the document.
    const first = data.choices[0]?.message.content ?? '';
    expect(first).toBe(
      'Echo: summarise this\n\n[Document "bill.pdf", application/pdf]\nTotal 42\n[End of document "bill.pdf"]',
    );
    expect(model.transcriptions).toMatchObject([{ fileName: 'audio.ogg' }]);
    const id = response.headers.get(CONVERSATION) ?? '';
    const [user] = await messagesOf(id, 'voice');
    expect(user?.content).toBe('summarise this');
    expect(user?.attachments.map((a) => [a.kind, a.transcript])).toEqual([
      [AttachmentKind.AUDIO, 'summarise this'],
      [AttachmentKind.DOCUMENT, ''],
    ]);

    // The client resends the audio with its history: the stored transcript is used, not heard again.
    const next = await askWith(
      [
        { role: 'user', content: parts },
        { role: 'assistant', content: first },
        { role: 'user', content: 'Shorter?' },
      ],
      'voice',
    );
    expect(next.response.headers.get(CONVERSATION)).toBe(id);
    expect(model.transcriptions).toHaveLength(1);
    expect(JSON.stringify(model.requests[1]?.body.messages)).toContain('summarise this');
  });

  it('streams an answer about an image, and with store: false keeps nothing', async () => {
    const photo = png();
    const stream = await client().chat.completions.create({
      model: 'parley',
      user: 'streamer',
      stream: true,
      store: false,
      messages: [{ role: 'user', content: [{ type: 'text', text: 'What is it?' }, imagePart(photo)] }],
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toContain(`[saw 1 image: image/png ${photo.length} bytes]`);
    expect(await conversationsOf('streamer')).toEqual([]);
  });

  it('refuses a remote image URL, naming the param, and fetches nothing', async () => {
    const refused = ask(
      [
        { type: 'text', text: 'Look' },
        { type: 'image_url', image_url: { url: 'https://example.com/cat.png' } },
      ],
      'remote',
    );
    await expect(refused).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    await expect(refused).rejects.toMatchObject({
      status: 400,
      param: 'messages[0].content[1].image_url.url',
      message: expect.stringContaining('Parley does not fetch URLs'),
    });
    expect(model.requests).toHaveLength(0);
    expect(await conversationsOf('remote')).toEqual([]);
  });

  it('refuses an image for a model that cannot see, storing nothing', async () => {
    const refused = ask([{ type: 'text', text: 'Look' }, imagePart(png())], 'blind', { model: 'text-only' });
    await expect(refused).rejects.toMatchObject({
      status: 400,
      param: 'messages[0].content[1]',
      code: 'model_not_vision_capable',
      message: expect.stringContaining('"text-only" cannot see images'),
    });
    expect(model.requests).toHaveLength(0);
    expect(await conversationsOf('blind')).toEqual([]);
  });

  it('refuses an oversized file, a disguised one and a kind the key may not send, storing nothing', async () => {
    const big = Buffer.concat([png(), Buffer.alloc(200_001)]);
    await expect(ask([imagePart(big)], 'limits')).rejects.toMatchObject({
      status: 413,
      param: 'messages[0].content[0]',
      message: expect.stringContaining('over the limit of 195 KiB per file'),
    });
    const bomb = {
      type: 'file',
      file: { filename: 'notes.txt', file_data: `data:text/plain;base64,${zipBomb().toString('base64')}` },
    } as const;
    await expect(ask([{ type: 'text', text: 'Read' }, bomb], 'limits')).rejects.toMatchObject({
      status: 400,
      param: 'messages[0].content[1]',
      message: expect.stringContaining('application/zip'),
    });
    const audioOnly = client(OTHER_KEY).chat.completions.create({
      model: 'parley',
      user: 'limits',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'input_audio', input_audio: { data: voiceNote('hi').toString('base64'), format: 'mp3' } },
          ],
        },
      ],
    });
    await expect(audioOnly).rejects.toBeInstanceOf(OpenAI.PermissionDeniedError);
    await expect(audioOnly).rejects.toMatchObject({
      param: 'messages[0].content[0]',
      message: expect.stringContaining('this client may not send audio'),
    });
    expect(model.requests).toHaveLength(0);
    expect(model.transcriptions).toHaveLength(0);
    expect(await conversationsOf('limits')).toEqual([]);
  });

  it('takes an image from the Vercel AI SDK’s OpenAI-compatible provider', async () => {
    const provider = createOpenAICompatible({
      name: 'parley',
      baseURL: `${parley.url}/v1`,
      apiKey: TEST_KEY,
    });
    const photo = png();
    const result = await generateText({
      model: provider('parley'),
      maxRetries: 0,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Describe' },
            { type: 'image', image: photo },
          ],
        },
      ],
    });
    expect(result.text).toContain(`[saw 1 image: image/png ${photo.length} bytes]`);
  });
});
