import { AttachmentKind, createChatStreamClient, UsageGrouping } from '@parley/rpc';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { pdf, png, program, truncatedPdf, voiceNote, zipBomb } from '../support/attachment-fixtures.ts';
import { imagesIn, type OpenAiStandIn, startOpenAiStandIn } from '../support/openai-stand-in.ts';
import { OTHER_KEY, type RunningParley, startParley, TEST_KEY } from '../support/parley.ts';
import { rpcError as refusal } from '../support/rpc-error.ts';

// Files on user messages through the real server: the real openai SDK against the OpenAI stand-in for
// chat (image parts) and /audio/transcriptions, the embedded store, Twirp protobuf, Twirp JSON and SSE.

const session = (userId: string) => ({ platform: 'telegram', userId, chatId: `chat-${userId}` });

describe('attachments', () => {
  let model: OpenAiStandIn;
  let parley: RunningParley;

  beforeAll(async () => {
    model = await startOpenAiStandIn();
    parley = await startParley({
      env: {
        OPENAI_BASE_URL: model.url,
        OPENAI_API_KEY: 'test',
        ADMIN_CLIENTS: 'other',
        ALLOWED_MODELS: 'text-only',
        MODEL_PRICES: 'whisper-1=0.006/min',
        DOCUMENT_MAX_CHARS: '400',
        ATTACHMENT_MAX_BYTES: '200000',
      },
    });
  });
  afterAll(async () => {
    await parley.cleanup();
    await model.close();
  });
  beforeEach(() => model.reset());

  /** The conversation's stored messages, for "nothing changed" checks. */
  async function stored(userId: string) {
    const current = await parley.client().getSession({ session: session(userId) });
    if (!current.conversation) return [];
    const described = await parley
      .client()
      .describeConversation({ conversationId: current.conversation.id, session: session(userId) });
    return described.messages;
  }

  it('shows a photo to the model with its caption, stores it, and gives its bytes to its owner only', async () => {
    const client = parley.client();
    const photo = png();
    const answer = await client.continueConversation({
      message: 'What is in this picture?',
      attachments: [{ data: photo, mediaType: 'image/jpeg', fileName: 'cat.jpg' }],
      session: session('photo'),
    });
    expect(answer.reply?.content).toBe(
      `Echo: What is in this picture?\n\n[Image "cat.jpg": attached below] [saw 1 image: image/png ${photo.length} bytes]`,
    );
    const seen = imagesIn(model.requests[0]?.body ?? {});
    expect(seen.map((i) => i.data.equals(photo))).toEqual([true]);

    const [user] = await stored('photo');
    // The type sniffed from the bytes wins over the sender's "image/jpeg" and ".jpg".
    expect(user?.attachments).toMatchObject([
      {
        kind: AttachmentKind.IMAGE,
        mediaType: 'image/png',
        name: 'cat.jpg',
        sizeBytes: String(photo.length),
      },
    ]);
    const id = user?.attachments[0]?.id ?? '';
    const fetched = await client.getAttachment({ attachmentId: id, session: session('photo') });
    expect(Buffer.from(fetched.data).equals(photo)).toBe(true);
    expect(fetched.conversationId).toBe(answer.conversationId);
    const stranger = await refusal(client.getAttachment({ attachmentId: id, session: session('someone') }));
    expect(stranger.code).toBe('not_found');

    // The next turn still shows the photo (it is within the budget).
    await client.continueConversation({ message: 'And its colour?', session: session('photo') });
    expect(imagesIn(model.requests[1]?.body ?? {})).toHaveLength(1);
  });

  it('transcribes a voice note, answers its words, shows the transcript and charges the minutes', async () => {
    const answer = await parley.client({ json: true }).continueConversation({
      attachments: [{ data: voiceNote('what time is it in Oslo'), mediaType: '', fileName: '' }],
      session: session('voice'),
    });
    expect(answer.reply?.content).toBe('Echo: what time is it in Oslo');
    expect(model.transcriptions).toMatchObject([{ model: 'whisper-1', fileName: 'audio.ogg' }]);
    const [user] = await stored('voice');
    expect(user?.content).toBe('what time is it in Oslo');
    expect(user?.attachments[0]).toMatchObject({
      kind: AttachmentKind.AUDIO,
      mediaType: 'audio/ogg',
      transcript: 'what time is it in Oslo',
    });
    // 3 seconds at 0.006 a minute: 300 millionths.
    const report = await parley
      .admin({ apiKey: OTHER_KEY })
      .getUsageReport({ groupBy: UsageGrouping.MODEL, clientId: 'test', userId: 'voice' });
    expect(report.rows.find((r) => r.model === 'whisper-1')?.totals?.costMicros).toBe('300');
  });

  it('puts documents’ text into the prompt, cut to the limit and said so, over the SSE route', async () => {
    const streams = createChatStreamClient({ baseUrl: parley.url, apiKey: TEST_KEY, timeoutMs: 10_000 });
    const long = `# Notes\n${'All work and no play. '.repeat(40)}`;
    const events = [];
    for await (const event of streams.streamContinueConversation({
      message: 'Summarize these',
      attachments: [
        { data: pdf('Quarterly revenue grew 12 percent'), mediaType: '', fileName: 'report.pdf' },
        { data: Buffer.from(long), mediaType: 'text/plain', fileName: 'notes.md' },
      ],
      session: session('docs'),
    })) {
      events.push(event);
    }
    const prompt = String(model.requests[0]?.body.messages?.at(-1)?.content);
    expect(prompt).toContain('[Document "report.pdf", application/pdf]\nQuarterly revenue grew 12 percent');
    expect(prompt).toContain('[Document "notes.md", text/markdown (too long: only its beginning is included');
    const done = events.at(-1);
    expect(done?.event.oneofKind).toBe('done');
    const [user] = await stored('docs');
    expect(user?.attachments.map((a) => [a.mediaType, a.truncated])).toEqual([
      ['application/pdf', false],
      ['text/markdown', true],
    ]);
  });

  it('refuses a photo for a model that cannot see, storing nothing', async () => {
    const client = parley.client();
    const started = await client.startConversation({ model: 'text-only', session: session('blind') });
    const refused = await refusal(
      client.continueConversation({
        message: 'look',
        attachments: [{ data: png(), mediaType: 'image/png', fileName: '' }],
        conversationId: started.conversation?.id ?? '',
        session: session('blind'),
      }),
    );
    expect(refused.code).toBe('failed_precondition');
    expect(refused.detail).toContain('"text-only" cannot see images');
    expect(refused.meta.reason).toBe('model_without_vision');
    expect(await stored('blind')).toEqual([]);
    expect(model.requests).toHaveLength(0);
  });

  it('reads turn bodies sized for files, and keeps the small body limit everywhere else', async () => {
    const big = Buffer.alloc(1_500_000, 'a');
    // Over MAX_BODY_BYTES (1 MiB) as base64 JSON, so only the turn-taking routes read it: the file is then
    // refused by its own limit, which names it.
    const refused = await refusal(
      parley.client({ json: true }).continueConversation({
        attachments: [{ data: big, mediaType: '', fileName: 'big.txt' }],
        session: session('big'),
      }),
    );
    expect(refused.meta).toMatchObject({ limit: 'attachment_bytes', max_bytes: '200000' });
    const res = await fetch(`${parley.url}/twirp/parley.chat.v1.ChatService/ListConversations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ page_token: big.toString('base64') }),
    });
    expect(res.status).toBe(413);
  });

  it.each([
    ['a program named notes.txt', program(), 'notes.txt', /application\/x-elf|not supported/],
    ['a zip bomb named notes.txt', zipBomb(), 'notes.txt', /application\/zip.*not supported/],
    ['a truncated PDF', truncatedPdf(), 'report.pdf', /PDF that cannot be read/],
    [
      'a file over the size limit',
      Buffer.alloc(200_001, 'a'),
      'big.txt',
      /over the limit of 195 KiB per file/,
    ],
  ])('refuses %s with a clear error and changes nothing', async (_, data, fileName, message) => {
    const client = parley.client();
    const who = `hostile-${fileName}-${data.length}`;
    await client.continueConversation({ message: 'hello', session: session(who) });
    const before = await stored(who);
    const refused = await refusal(
      client.continueConversation({
        message: 'read this',
        attachments: [{ data, mediaType: 'text/plain', fileName }],
        session: session(who),
      }),
    );
    expect(refused.code).toBe('invalid_argument');
    expect(refused.detail).toMatch(message);
    expect(refused.meta.argument).toBe('attachments[0]');
    expect(await stored(who)).toEqual(before);
    expect(model.requests).toHaveLength(1);
  });
});
