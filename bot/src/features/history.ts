import { type Conversation, Timestamp } from '@parley/rpc';
import { Composer, type Context } from 'telegraf';
import type { BotCommand, Chat, InlineKeyboardButton, User } from 'telegraf/types';
import { escapeHtml } from '../telegram/reply-format.ts';
import {
  answerCallback,
  callbackData,
  enqueue,
  type FeatureDeps,
  replaceMessage,
  reportFailure,
} from '../updates/feature-deps.ts';
import { sessionMetadataFor } from '../updates/session-metadata.ts';

/** This feature's entries in Telegram's command menu (`/switch` works too, unlisted). */
export const HISTORY_MENU: BotCommand[] = [
  { command: 'history', description: 'Your recent conversations (tap to switch)' },
];

const PAGE_SIZE = 10;
const BUTTON_TITLE = 40;
/** Callback data of a switch button: `s:<conversation id>`. */
const SWITCH = /^s:([A-Za-z0-9_-]{1,62})$/;

/** /history (and /switch) list the recent conversations with a button each; a tap switches to it. */
export function historyFeature(deps: FeatureDeps): Composer<Context> {
  const feature = new Composer<Context>();
  feature.command(['history', 'switch'], (ctx) => {
    const { chat, from } = ctx;
    enqueue(deps, chat, () => showHistory(deps, chat, from));
  });
  feature.action(SWITCH, (ctx) => {
    const { chat, from, callbackQuery } = ctx;
    const conversationId = ctx.match[1] ?? '';
    if (!chat) return answerCallback(deps, callbackQuery.id);
    const messageId = callbackQuery.message?.message_id;
    enqueue(deps, chat, () =>
      switchTo(deps, { chat, from, conversationId, callbackId: callbackQuery.id, messageId }),
    );
  });
  return feature;
}

async function showHistory(deps: FeatureDeps, chat: Chat, from: User | undefined): Promise<void> {
  try {
    const session = sessionMetadataFor(chat, from);
    // The server says which conversation the next message goes to: every replica and restart agrees.
    const [{ conversations }, { conversation: currentOne }] = await Promise.all([
      deps.parley.listConversations({ session, pageSize: PAGE_SIZE }),
      deps.parley.getSession({ session }),
    ]);
    if (conversations.length === 0) {
      await deps.outbox.text(chat.id, 'No conversations yet. Just send me a message to start one.');
      return;
    }
    const current = currentOne?.id;
    const lines = conversations.map((c, i) => historyLine(c, i, c.id === current));
    const keyboard: InlineKeyboardButton[][] = [];
    for (const [i, c] of conversations.entries()) {
      const data = callbackData('s', c.id);
      if (data)
        keyboard.push([{ text: `${i + 1}. ${truncate(titleOf(c), BUTTON_TITLE)}`, callback_data: data }]);
    }
    const html = `<b>Your recent conversations</b>\n${lines.join('\n')}\n\nTap one to continue it.`;
    await deps.outbox.html(chat.id, html, { keyboard: { inline_keyboard: keyboard } });
  } catch (err) {
    await reportFailure(deps, chat.id, err, 'history');
  }
}

interface SwitchRequest {
  chat: Chat;
  from: User | undefined;
  conversationId: string;
  callbackId: string;
  messageId: number | undefined;
}

async function switchTo(deps: FeatureDeps, request: SwitchRequest): Promise<void> {
  const { chat, conversationId } = request;
  try {
    const { conversation } = await deps.parley.switchConversation({
      conversationId,
      session: sessionMetadataFor(chat, request.from),
    });
    await answerCallback(deps, request.callbackId, 'Switched');
    const title = escapeHtml(conversation ? titleOf(conversation) : 'that conversation');
    await replaceMessage(
      deps,
      chat.id,
      request.messageId,
      `Switched to <b>${title}</b>. Send a message to carry on.`,
    );
  } catch (err) {
    await answerCallback(deps, request.callbackId);
    await reportFailure(deps, chat.id, err, 'switch conversation');
  }
}

function historyLine(conversation: Conversation, index: number, isCurrent: boolean): string {
  const count = conversation.messageCount;
  const when = conversation.updatedAt ? ` · ${relativeTime(Timestamp.toDate(conversation.updatedAt))}` : '';
  const marker = isCurrent ? ' ◀ current' : '';
  return `${index + 1}. ${escapeHtml(titleOf(conversation))} — ${count} message${count === 1 ? '' : 's'}${when}${marker}`;
}

export function titleOf(conversation: Conversation): string {
  return conversation.title.trim() || 'Untitled conversation';
}

function truncate(text: string, max: number): string {
  const chars = [...text];
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : text;
}

/** "just now", "5 min ago", "3 h ago", "2 days ago". */
export function relativeTime(date: Date, now = new Date()): string {
  const minutes = Math.floor((now.getTime() - date.getTime()) / 60_000);
  if (minutes < 1) return 'just now';
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  const days = Math.floor(hours / 24);
  return `${days} day${days === 1 ? '' : 's'} ago`;
}
