import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { AttachmentUpload } from '@parley/rpc';
import { formatSize } from '../io/attachment-format.ts';
import { UsageError } from '../io/errors.ts';

/**
 * Files above this are not read at all: the server's limit is far lower (20 MiB a file by default), and a
 * mistyped path to a disk image should fail at once, not fill memory.
 */
const MAX_READ_BYTES = 64 * 1024 * 1024;

/**
 * A file from disk as an attachment: its bytes and name. No media type is claimed: the server sniffs it
 * from the bytes and says clearly what it does not take.
 */
export async function readAttachment(path: string): Promise<AttachmentUpload> {
  let size: number;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new UsageError(`cannot attach ${path}: not a file`);
    size = info.size;
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(
      `cannot attach ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : 'cannot read it'}`,
    );
  }
  if (size > MAX_READ_BYTES) {
    throw new UsageError(`cannot attach ${path}: ${formatSize(size)} is far over what the server takes`);
  }
  return { data: await readFile(path), mediaType: '', fileName: basename(path) };
}

/** Reads every `--attach` file, in order. */
export function readAttachments(paths: readonly string[] | undefined): Promise<AttachmentUpload[]> {
  return Promise.all((paths ?? []).map(readAttachment));
}
