import { type Conversation, Timestamp } from '@parley/rpc';
import { Composer, type Context } from 'telegraf';
import type { Chat, InlineKeyboardButton, User } from 'telegraf/types';
import type { MenuEntry } from '../i18n/menu.ts';
import type { Texts } from '../i18n/texts.ts';
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
export const HISTORY_MENU: MenuEntry[] = [{ command: 'history', description: 'menu.history' }];

const PAGE_SIZE = 10;
const BUTTON_TITLE = 40;
/** Callback data of a switch button: `s:<conversation id>`. */
const SWITCH = /^s:([A-Za-z0-9_-]{1,62})$/;

/** /history (and /switch) list the recent conversations with a button each; a tap switches to it. */
export function historyFeature(deps: FeatureDeps): Composer<Context> {
  const feature = new Composer<Context>();
  feature.command(['history', 'switch'], (ctx) => {
    const { chat, from } = ctx;
    enqueue(deps, chat, () => showHistory(deps, chat, from), from);
  });
  feature.action(SWITCH, (ctx) => {
    const { chat, from, callbackQuery } = ctx;
    const conversationId = ctx.match[1] ?? '';
    if (!chat) return answerCallback(deps, callbackQuery.id);
    const messageId = callbackQuery.message?.message_id;
    const request = { chat, from, conversationId, callbackId: callbackQuery.id, messageId };
    enqueue(deps, chat, () => switchTo(deps, request), from);
  });
  return feature;
}

async function showHistory(deps: FeatureDeps, chat: Chat, from: User | undefined): Promise<void> {
  const texts = await deps.languages.textsFor(from);
  const { t } = texts;
  try {
    const session = sessionMetadataFor(chat, from);
    // The server says which conversation the next message goes to: every replica and restart agrees.
    const [{ conversations }, { conversation: currentOne }] = await Promise.all([
      deps.parley.listConversations({ session, pageSize: PAGE_SIZE }),
      deps.parley.getSession({ session }),
    ]);
    if (conversations.length === 0) {
      await deps.outbox.text(chat.id, t('history.empty'));
      return;
    }
    const current = currentOne?.id;
    const lines = conversations.map((c, i) => historyLine(c, i, c.id === current, texts));
    const keyboard: InlineKeyboardButton[][] = [];
    for (const [i, c] of conversations.entries()) {
      const data = callbackData('s', c.id);
      if (data)
        keyboard.push([
          { text: `${i + 1}. ${truncate(titleOf(c, texts), BUTTON_TITLE)}`, callback_data: data },
        ]);
    }
    const html = `<b>${t('history.heading')}</b>\n${lines.join('\n')}\n\n${t('history.tapToContinue')}`;
    await deps.outbox.html(chat.id, html, { keyboard: { inline_keyboard: keyboard } });
  } catch (err) {
    await reportFailure(deps, chat.id, err, 'history', texts);
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
  const texts = await deps.languages.textsFor(request.from);
  const { t } = texts;
  try {
    const { conversation } = await deps.parley.switchConversation({
      conversationId,
      session: sessionMetadataFor(chat, request.from),
    });
    await answerCallback(deps, request.callbackId, t('history.switched'));
    const title = escapeHtml(conversation ? titleOf(conversation, texts) : t('history.thatConversation'));
    await replaceMessage(deps, chat.id, request.messageId, t('history.switchedTo', { title }));
  } catch (err) {
    await answerCallback(deps, request.callbackId);
    await reportFailure(deps, chat.id, err, 'switch conversation', texts);
  }
}

/** `2. Weekend plans — 5 messages · 3 hours ago ◀ current`, in the user's language. */
export function historyLine(
  conversation: Conversation,
  index: number,
  isCurrent: boolean,
  texts: Texts,
  now = new Date(),
): string {
  const { t } = texts;
  const count = t('history.messages', { count: conversation.messageCount });
  const updated = conversation.updatedAt && Timestamp.toDate(conversation.updatedAt);
  const when = updated ? ` · ${texts.ago(updated, now)}` : '';
  const marker = isCurrent ? ` ${t('history.current')}` : '';
  return `${index + 1}. ${escapeHtml(titleOf(conversation, texts))} — ${count}${when}${marker}`;
}

export function titleOf(conversation: Conversation, texts: Texts): string {
  return conversation.title.trim() || texts.t('history.untitled');
}

function truncate(text: string, max: number): string {
  const chars = [...text];
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : text;
}
