import { Binary, type Collection, type Db, ObjectId } from 'mongodb';
import { type AttachmentMeta, attachmentMeta, type NewAttachment } from './conversation-store.ts';

/** Like GridFS's files collection: one small document per attachment, its bytes in chunks. */
type FileDoc = Omit<AttachmentMeta, 'id'> & { _id: ObjectId; conversationId: ObjectId; chunks: number };

/** Like GridFS's chunks: `n` counts from 0; each well below MongoDB's 16 MB document cap. */
interface ChunkDoc {
  _id: ObjectId;
  fileId: ObjectId;
  conversationId: ObjectId;
  n: number;
  data: Binary;
}

/** GridFS's default chunk size: small enough for any driver batch, large enough to keep counts low. */
const CHUNK_BYTES = 255 * 1024;

/** Wraps a driver call so a lost connection becomes `unavailable` (the store's own guard). */
export type Guard = <T>(work: Promise<T>) => Promise<T>;

/**
 * Attachment bytes on MongoDB as GridFS lays them out (a files document plus numbered chunks), in plain
 * collections so the store keeps its own ids and deletes by conversation in one call each. Every
 * document carries its conversation's id: deleting a conversation sweeps its files with two deleteMany.
 */
export class MongoAttachments {
  readonly #files: Collection<FileDoc>;
  readonly #chunks: Collection<ChunkDoc>;
  readonly #guard: Guard;

  constructor(db: Db, guard: Guard) {
    this.#files = db.collection<FileDoc>('attachments');
    this.#chunks = db.collection<ChunkDoc>('attachmentChunks');
    this.#guard = guard;
  }

  async ensureIndexes(): Promise<void> {
    await this.#guard(
      Promise.all([
        this.#files.createIndexes([{ key: { conversationId: 1 } }]),
        this.#chunks.createIndexes([{ key: { fileId: 1, n: 1 } }, { key: { conversationId: 1 } }]),
      ]),
    );
  }

  /** Stores the bytes first, then the files documents; on failure removes whatever it wrote. */
  async insert(conversationId: ObjectId, attachments: NewAttachment[]): Promise<AttachmentMeta[]> {
    const files: FileDoc[] = [];
    const chunks: ChunkDoc[] = [];
    for (const attachment of attachments) {
      const _id = new ObjectId();
      const { id: _, ...meta } = attachmentMeta(_id.toHexString(), attachment);
      const pieces = split(attachment.data);
      files.push({ _id, conversationId, chunks: pieces.length, ...meta });
      for (const [n, piece] of pieces.entries()) {
        chunks.push({ _id: new ObjectId(), fileId: _id, conversationId, n, data: new Binary(piece) });
      }
    }
    const ids = files.map((f) => f._id);
    try {
      if (chunks.length > 0) await this.#guard(this.#chunks.insertMany(chunks, { ordered: false }));
      if (files.length > 0) await this.#guard(this.#files.insertMany(files, { ordered: false }));
    } catch (err) {
      await this.remove(ids).catch(() => undefined);
      throw err;
    }
    return files.map(toMeta);
  }

  /** The attachment's metadata, conversation and bytes; null when unknown or incomplete. */
  async read(id: string): Promise<{ meta: AttachmentMeta; conversationId: string; data: Buffer } | null> {
    if (!/^[0-9a-f]{24}$/i.test(id)) return null;
    const file = await this.#guard(this.#files.findOne({ _id: ObjectId.createFromHexString(id) }));
    if (!file) return null;
    const chunks = await this.#guard(this.#chunks.find({ fileId: file._id }).sort({ n: 1 }).toArray());
    if (chunks.length !== file.chunks) return null;
    const data = Buffer.concat(chunks.map((c) => Buffer.from(c.data.buffer)));
    return { meta: toMeta(file), conversationId: file.conversationId.toHexString(), data };
  }

  async remove(ids: ObjectId[]): Promise<void> {
    if (ids.length === 0) return;
    await this.#guard(this.#files.deleteMany({ _id: { $in: ids } }));
    await this.#guard(this.#chunks.deleteMany({ fileId: { $in: ids } }));
  }

  async removeConversation(conversationId: ObjectId): Promise<void> {
    await this.#guard(this.#files.deleteMany({ conversationId }));
    await this.#guard(this.#chunks.deleteMany({ conversationId }));
  }
}

function split(data: Uint8Array): Uint8Array[] {
  const pieces: Uint8Array[] = [];
  for (let at = 0; at < data.byteLength; at += CHUNK_BYTES) pieces.push(data.subarray(at, at + CHUNK_BYTES));
  // An empty file still has its one (empty) chunk, so "all chunks present" means the same for every file.
  return pieces.length > 0 ? pieces : [new Uint8Array(0)];
}

function toMeta(file: FileDoc): AttachmentMeta {
  const { _id, conversationId: _c, chunks: _n, ...meta } = file;
  return { id: _id.toHexString(), ...meta };
}
