import type { AttachmentUpload } from '@parley/rpc';
import { Composer, type Context } from 'telegraf';
import { message } from 'telegraf/filters';
import type { Chat, Message, User } from 'telegraf/types';
import { BOT_DOWNLOAD_LIMIT, FileTooBigError } from '../telegram/file-downloads.ts';
import { addressedText } from '../updates/addressed-text.ts';
import { enqueue, type FeatureDeps, logFailure } from '../updates/feature-deps.ts';
import { isGroupChat } from '../updates/session-metadata.ts';
import { runTurn, type TurnRequest } from './conversation.ts';

/** A file of a message, as Telegram describes it. */
interface FilePart {
  fileId: string;
  /** What Telegram reports (0 when it does not). */
  size: number;
  fileName: string;
  mediaType: string;
}

/** Parts of an album arrive as separate messages close together; this long after the last, it is whole. */
const ALBUM_SETTLE_MS = 800;

/**
 * Photos (with their caption), albums (one message to the assistant), voice notes, audio files and
 * documents: downloaded from Telegram and sent with the message's text (the caption). Telegram's 20 MB
 * limit for bots is answered before anything is fetched. Stickers, videos and video notes are politely
 * refused in private chats; in groups media count only when their caption addresses the bot.
 */
export function attachmentsFeature(deps: FeatureDeps): Composer<Context> {
  const feature = new Composer<Context>();
  const albums = new Map<string, Album>();
  feature.on(
    [message('photo'), message('voice'), message('audio'), message('document')],
    async (ctx, next) => {
      const msg = ctx.message;
      const caption = addressedText(msg, ctx.chat, ctx.botInfo);
      const part = filePartOf(msg);
      const albumId = 'media_group_id' in msg ? msg.media_group_id : undefined;
      if (!part || (isGroupChat(ctx.chat) && caption === undefined && !albumId)) return next();
      const request: TurnRequest = {
        chat: ctx.chat,
        from: ctx.from,
        text: caption ?? '',
        updateId: ctx.update.update_id,
        messageId: msg.message_id,
      };
      if (!albumId) {
        enqueue(deps, ctx.chat, () => fileTurn(deps, request, [part]), ctx.from);
        return;
      }
      const key = `${ctx.chat.id}:${albumId}`;
      const album = albums.get(key);
      if (album) return album.add(part, caption);
      const started = new Album(request, part, caption, () => albums.delete(key));
      albums.set(key, started);
      // Queued at its first part, so what the chat sends after the album waits for it.
      enqueue(
        deps,
        ctx.chat,
        () => started.whole().then((whole) => whole && fileTurn(deps, whole.request, whole.parts)),
        ctx.from,
      );
    },
  );
  feature.on(
    [message('sticker'), message('video'), message('video_note'), message('animation')],
    async (ctx, next) => {
      if (isGroupChat(ctx.chat)) return next();
      const { chat, from } = ctx;
      enqueue(deps, chat, () => say(deps, chat, from, (t) => t('attachments.unsupported')), from);
    },
  );
  return feature;
}

/** Downloads the files, then takes the turn; a file Telegram will not hand over is answered clearly. */
async function fileTurn(deps: FeatureDeps, request: TurnRequest, parts: FilePart[]): Promise<void> {
  const tooBig = parts.find((p) => p.size > BOT_DOWNLOAD_LIMIT);
  if (tooBig) return tooBigReply(deps, request, tooBig.size);
  const attachments: AttachmentUpload[] = [];
  for (const part of parts) {
    try {
      const data = await deps.files.download(part.fileId);
      attachments.push({ data, mediaType: part.mediaType, fileName: part.fileName });
    } catch (err) {
      if (err instanceof FileTooBigError) return tooBigReply(deps, request, part.size);
      const texts = await deps.languages.textsFor(request.from);
      logFailure(deps, err, 'file download', texts);
      return say(deps, request.chat, request.from, (t) => t('attachments.downloadFailed'));
    }
  }
  await runTurn(deps, { ...request, attachments });
}

async function tooBigReply(deps: FeatureDeps, request: TurnRequest, size: number): Promise<void> {
  const texts = await deps.languages.textsFor(request.from);
  const mb = size > 0 ? `${texts.number(Math.round((size / (1024 * 1024)) * 10) / 10)} MB` : '> 20 MB';
  await deps.outbox.text(request.chat.id, texts.t('attachments.tooBig', { size: mb }));
}

async function say(
  deps: FeatureDeps,
  chat: Chat,
  from: User | undefined,
  text: (t: Awaited<ReturnType<FeatureDeps['languages']['textsFor']>>['t']) => string,
): Promise<void> {
  const { t } = await deps.languages.textsFor(from);
  await deps.outbox.text(chat.id, text(t));
}

/** The file a message carries: the largest photo size within the limit, the voice note, the audio, the document. */
function filePartOf(msg: Message): FilePart | undefined {
  if ('photo' in msg && msg.photo.length > 0) {
    const sizes = [...msg.photo].sort((a, b) => (a.file_size ?? 0) - (b.file_size ?? 0));
    const fitting = sizes.filter((s) => (s.file_size ?? 0) <= BOT_DOWNLOAD_LIMIT);
    const best = fitting.at(-1) ?? sizes[0];
    if (!best) return undefined;
    return {
      fileId: best.file_id,
      size: best.file_size ?? 0,
      fileName: 'photo.jpg',
      mediaType: 'image/jpeg',
    };
  }
  if ('voice' in msg) {
    const { file_id, file_size = 0, mime_type = 'audio/ogg' } = msg.voice;
    return { fileId: file_id, size: file_size, fileName: 'voice.ogg', mediaType: mime_type };
  }
  if ('audio' in msg) {
    const { file_id, file_size = 0, mime_type = '', file_name = 'audio' } = msg.audio;
    return { fileId: file_id, size: file_size, fileName: file_name, mediaType: mime_type };
  }
  if ('document' in msg) {
    const { file_id, file_size = 0, mime_type = '', file_name = 'document' } = msg.document;
    return { fileId: file_id, size: file_size, fileName: file_name, mediaType: mime_type };
  }
  return undefined;
}

/** The parts of one album, gathered until no more arrive for {@link ALBUM_SETTLE_MS}. */
class Album {
  readonly #parts: FilePart[];
  #request: TurnRequest;
  #addressed: boolean;
  #timer: NodeJS.Timeout;
  readonly #settled: Promise<void>;
  #settle: () => void = () => undefined;
  readonly #done: () => void;

  constructor(request: TurnRequest, part: FilePart, caption: string | undefined, done: () => void) {
    this.#request = request;
    this.#parts = [part];
    this.#addressed = caption !== undefined;
    this.#done = done;
    this.#settled = new Promise((resolve) => {
      this.#settle = resolve;
    });
    this.#timer = setTimeout(() => this.#finish(), ALBUM_SETTLE_MS);
  }

  /** Another part; the caption (Telegram puts it on one part, usually the first) becomes the text. */
  add(part: FilePart, caption: string | undefined): void {
    this.#parts.push(part);
    if (caption !== undefined) {
      this.#addressed = true;
      if (caption && !this.#request.text) this.#request = { ...this.#request, text: caption };
    }
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#finish(), ALBUM_SETTLE_MS);
  }

  /** The whole album once settled; undefined for a group album that does not address the bot. */
  async whole(): Promise<{ request: TurnRequest; parts: FilePart[] } | undefined> {
    await this.#settled;
    if (isGroupChat(this.#request.chat) && !this.#addressed) return undefined;
    return { request: this.#request, parts: this.#parts };
  }

  #finish(): void {
    this.#done();
    this.#settle();
  }
}
