import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';

// Files a user "sent" in the Telegram emulator: what `getFile` answers and what
// `<apiRoot>/file/bot<token>/<file_path>` serves, with Telegram's 20 MB limit for bots.

/** Telegram lets bots download files up to 20 MB (Bot API, getFile). */
export const BOT_DOWNLOAD_LIMIT = 20 * 1024 * 1024;

/** What a message carries of a file (`photo[i]`, `voice`, `document`, ...). */
export interface TelegramFileRef {
  file_id: string;
  file_unique_id: string;
  file_size: number;
}

interface StoredFile extends TelegramFileRef {
  path: string;
  data: Buffer;
}

export class TelegramFiles {
  readonly #byId = new Map<string, StoredFile>();
  readonly #byPath = new Map<string, StoredFile>();
  /** Paths downloaded, in order. */
  readonly downloads: string[] = [];

  /**
   * Keeps `data` for download; `size` is the size Telegram reports (a file over 20 MB needs no 20 MB of
   * bytes in a test: getFile refuses it from its size, as Telegram does).
   */
  add(data: Buffer, options: { size?: number; name?: string } = {}): TelegramFileRef {
    const id = randomUUID().replaceAll('-', '');
    const file: StoredFile = {
      file_id: `file-${id}`,
      file_unique_id: `u-${id.slice(0, 12)}`,
      file_size: options.size ?? data.length,
      path: `documents/${options.name ?? `file_${id.slice(0, 8)}`}`,
      data,
    };
    this.#byId.set(file.file_id, file);
    this.#byPath.set(file.path, file);
    return { file_id: file.file_id, file_unique_id: file.file_unique_id, file_size: file.file_size };
  }

  /** The Bot API's answer to getFile. */
  getFile(params: Record<string, unknown>): { status: number; body: unknown } {
    const file = this.#byId.get(String(params.file_id));
    if (!file) return refusal(400, 'Bad Request: invalid file_id');
    if (file.file_size > BOT_DOWNLOAD_LIMIT) return refusal(400, 'Bad Request: file is too big');
    const { file_id, file_unique_id, file_size, path } = file;
    return {
      status: 200,
      body: { ok: true, result: { file_id, file_unique_id, file_size, file_path: path } },
    };
  }

  /** Serves `/file/bot<token>/<path>`; false when the URL is not a file download. */
  serve(url: string, res: ServerResponse): boolean {
    const match = /^\/file\/bot[^/]+\/(.+)$/.exec(url.split('?')[0] ?? '');
    if (!match?.[1]) return false;
    const file = this.#byPath.get(decodeURIComponent(match[1]));
    if (!file) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: false, error_code: 404, description: 'Not Found' }));
      return true;
    }
    this.downloads.push(file.path);
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': file.data.length });
    res.end(file.data);
    return true;
  }
}

function refusal(code: number, description: string) {
  return { status: code, body: { ok: false, error_code: code, description } };
}
