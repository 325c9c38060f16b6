import { type Conversation, describeRpcError } from '@parley/rpc';
import { Composer, type Context } from 'telegraf';
import type { BotCommand, Chat, User } from 'telegraf/types';
import {
  answerCallback,
  callbackData,
  enqueue,
  type FeatureDeps,
  replaceMessage,
  reportFailure,
  requestIdFor,
} from '../feature-deps.ts';
import { escapeHtml } from '../reply-format.ts';
import { sessionMetadataFor } from '../session-metadata.ts';
import { titleOf } from './history.ts';

/** This feature's entries in Telegram's command menu. */
export const DELETE_MENU: BotCommand[] = [
  { command: 'delete', description: 'Delete the current conversation' },
];

/** Callback data of the confirm button: `d:<conversation id>`; `k` keeps it. */
const CONFIRM = /^d:([A-Za-z0-9_-]{1,62})$/;
const KEEP = 'k';

/** /delete asks before deleting the chat's current conversation; the answer comes from its buttons. */
export function deleteFeature(deps: FeatureDeps): Composer<Context> {
  const feature = new Composer<Context>();
  feature.command('delete', (ctx) => {
    const { chat, from } = ctx;
    enqueue(deps, chat, () => confirmDelete(deps, chat, from));
  });
  feature.action(CONFIRM, (ctx) => {
    const { chat, from, callbackQuery } = ctx;
    if (!chat) return answerCallback(deps, callbackQuery.id);
    const target = {
      chat,
      from,
      conversationId: ctx.match[1] ?? '',
      callbackId: callbackQuery.id,
      messageId: callbackQuery.message?.message_id,
      updateId: ctx.update.update_id,
    };
    enqueue(deps, chat, () => deleteConfirmed(deps, target));
  });
  feature.action(KEEP, (ctx) => {
    const { chat, callbackQuery } = ctx;
    if (!chat) return answerCallback(deps, callbackQuery.id);
    enqueue(deps, chat, async () => {
      await answerCallback(deps, callbackQuery.id, 'Kept');
      await replaceMessage(deps, chat.id, callbackQuery.message?.message_id, 'Kept it. Nothing was deleted.');
    });
  });
  return feature;
}

async function confirmDelete(deps: FeatureDeps, chat: Chat, from: User | undefined): Promise<void> {
  try {
    const conversation = await currentConversation(deps, chat, from);
    const data = conversation && callbackData('d', conversation.id);
    if (!conversation || !data) {
      await deps.outbox.text(chat.id, 'There is no conversation to delete here.');
      return;
    }
    const count = conversation.messageCount;
    const html =
      `Delete <b>${escapeHtml(titleOf(conversation))}</b> (${count} message${count === 1 ? '' : 's'})? ` +
      'This can’t be undone.';
    await deps.outbox.html(chat.id, html, {
      keyboard: {
        inline_keyboard: [
          [
            { text: '🗑 Delete', callback_data: data },
            { text: 'Keep', callback_data: KEEP },
          ],
        ],
      },
    });
  } catch (err) {
    await reportFailure(deps, chat.id, err, 'delete (confirm)');
  }
}

/**
 * The chat's current conversation: the one the last server response named, else the chat's most recently
 * updated one (what the server itself falls back to when a chat's session has expired).
 */
async function currentConversation(
  deps: FeatureDeps,
  chat: Chat,
  from: User | undefined,
): Promise<Conversation | undefined> {
  const session = sessionMetadataFor(chat, from);
  const hint = deps.currentConversations.get(String(chat.id));
  if (hint) {
    try {
      const { conversation } = await deps.parley.describeConversation({
        conversationId: hint,
        session,
        pageSize: 1,
      });
      if (conversation) return conversation;
    } catch (err) {
      if (describeRpcError(err).code !== 'not_found') throw err;
      deps.currentConversations.forget(String(chat.id), hint);
    }
  }
  const { conversations } = await deps.parley.listConversations({ session, pageSize: 20 });
  return conversations.find((c) => c.chatId === session.chatId);
}

interface DeleteTarget {
  chat: Chat;
  from: User | undefined;
  conversationId: string;
  callbackId: string;
  messageId: number | undefined;
  updateId: number;
}

async function deleteConfirmed(deps: FeatureDeps, target: DeleteTarget): Promise<void> {
  const { chat, conversationId } = target;
  try {
    await deps.parley.deleteConversation({
      conversationId,
      session: sessionMetadataFor(chat, target.from),
      requestId: requestIdFor(target.updateId),
    });
    deps.currentConversations.forget(String(chat.id), conversationId);
    await answerCallback(deps, target.callbackId, 'Deleted');
    await replaceMessage(deps, chat.id, target.messageId, 'Deleted. Send a message to keep chatting.');
  } catch (err) {
    await answerCallback(deps, target.callbackId);
    await reportFailure(deps, chat.id, err, 'delete conversation');
  }
}
