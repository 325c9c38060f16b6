import type { Logger } from '@parley/logger';
import type { ChatLimits } from './chat-limits.ts';
import { telegramFailure } from './telegram-failure.ts';

/** The part of the Bot API the typing indicator needs; telegraf's `Telegram` provides it. */
export interface ChatActionApi {
  sendChatAction(chatId: number | string, action: 'typing'): Promise<unknown>;
}

/** Telegram shows "typing…" for about 5 seconds per call, so it is repeated a little sooner. */
export const TYPING_INTERVAL_MS = 4_500;

export interface TypingOptions {
  logger: Logger;
  /** A chat that refused the bot gets no indicator; a refusal here marks the chat for everyone. */
  limits?: ChatLimits;
  intervalMs?: number;
}

/**
 * Shows "typing…" in a chat until the returned function is called. Failures are only logged at debug
 * level: the indicator is decoration, and must never fail a reply (some emulators answer it with 500).
 * A chat action is no message, so it takes nothing from the chat's budget.
 */
export function startTyping(api: ChatActionApi, chatId: number | string, options: TypingOptions): () => void {
  const { logger, limits, intervalMs = TYPING_INTERVAL_MS } = options;
  const send = () => {
    if (limits?.isUnreachable(chatId)) return;
    api.sendChatAction(chatId, 'typing').catch((err: unknown) => {
      limits?.failed(chatId, telegramFailure(err));
      logger.debug({ err }, 'typing indicator failed');
    });
  };
  send();
  const timer = setInterval(send, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
