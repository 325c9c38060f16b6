import type { Logger } from '@parley/logger';

/** The part of the Bot API the typing indicator needs; telegraf's `Telegram` provides it. */
export interface ChatActionApi {
  sendChatAction(chatId: number | string, action: 'typing'): Promise<unknown>;
}

/** Telegram shows "typing…" for about 5 seconds per call, so it is repeated a little sooner. */
export const TYPING_INTERVAL_MS = 4_500;

/**
 * Shows "typing…" in a chat until the returned function is called. Failures are only logged at debug
 * level: the indicator is decoration, and must never fail a reply (some emulators answer it with 500).
 */
export function startTyping(
  api: ChatActionApi,
  chatId: number | string,
  logger: Logger,
  intervalMs = TYPING_INTERVAL_MS,
): () => void {
  const send = () => {
    api.sendChatAction(chatId, 'typing').catch((err: unknown) => {
      logger.debug({ err }, 'typing indicator failed');
    });
  };
  send();
  const timer = setInterval(send, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
