import type { Telegram } from 'telegraf';

/** Telegram lets bots download files up to 20 MB (Bot API, getFile). */
export const BOT_DOWNLOAD_LIMIT = 20 * 1024 * 1024;

/** A file over Telegram's limit for bots: the user is told the limit, nothing is fetched. */
export class FileTooBigError extends Error {
  constructor() {
    super('the file is over Telegram’s 20 MB download limit for bots');
    this.name = 'FileTooBigError';
  }
}

/** Fetches the bytes of a file a user sent. */
export interface FileDownloader {
  download(fileId: string, signal?: AbortSignal): Promise<Buffer>;
}

/**
 * Downloads through the Bot API: `getFile` for the path (Telegram refuses files over 20 MB there), then
 * `<apiRoot>/file/bot<token>/<path>`, bounded by `timeoutMs` and by the limit while reading.
 */
export function telegramDownloader(telegram: Telegram, timeoutMs: number): FileDownloader {
  return {
    async download(fileId, signal) {
      let link: URL;
      try {
        link = await telegram.getFileLink(fileId);
      } catch (err) {
        if (/file is too big/i.test(String((err as Error).message))) throw new FileTooBigError();
        throw err;
      }
      const timeout = AbortSignal.timeout(timeoutMs);
      const res = await fetch(link, { signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
      if (!res.ok || !res.body) throw new Error(`file download failed with HTTP ${res.status}`);
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of res.body) {
        size += chunk.byteLength;
        if (size > BOT_DOWNLOAD_LIMIT) throw new FileTooBigError();
        chunks.push(Buffer.from(chunk));
      }
      return Buffer.concat(chunks, size);
    },
  };
}
