import type { Conversation } from '@parley/rpc';
import { Composer, type Context } from 'telegraf';
import type { BotCommand, CallbackQuery, Chat, User } from 'telegraf/types';
import { escapeHtml } from '../telegram/reply-format.ts';
import {
  answerCallback,
  enqueue,
  type FeatureDeps,
  replaceMessage,
  reportFailure,
  requestIdFor,
} from '../updates/feature-deps.ts';
import { sessionMetadataFor } from '../updates/session-metadata.ts';
import { titleOf } from './history.ts';

/** This feature's entries in Telegram's command menu. */
export const DELETE_MENU: BotCommand[] = [
  { command: 'delete', description: 'Delete the current conversation' },
];

/**
 * Callback data of the buttons: `d:<conversation id>:<asker>` deletes, `k:<asker>` keeps, where the asker
 * is the Telegram user who sent /delete: in a group only they may answer. (`d:<id>` and `k` are the
 * buttons of older messages, without an asker.)
 */
const CONFIRM = /^d:([A-Za-z0-9_-]{1,62})(?::(\d{1,20}))?$/;
const KEEP = /^k(?::(\d{1,20}))?$/;
export const NOT_YOURS = 'Only the member who asked for /delete can answer this.';

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
    if (!isAsker(ctx.match[2], from)) return answerCallback(deps, callbackQuery.id, NOT_YOURS);
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
    const { chat, from, callbackQuery } = ctx;
    if (!chat) return answerCallback(deps, callbackQuery.id);
    if (!isAsker(ctx.match[1], from)) return answerCallback(deps, callbackQuery.id, NOT_YOURS);
    enqueue(deps, chat, () => kept(deps, chat, callbackQuery));
  });
  return feature;
}

/** True when the button names no asker (an older message) or `from` is the asker. */
function isAsker(asker: string | undefined, from: User | undefined): boolean {
  return asker === undefined || String(from?.id) === asker;
}

async function kept(deps: FeatureDeps, chat: Chat, callbackQuery: CallbackQuery): Promise<void> {
  await answerCallback(deps, callbackQuery.id, 'Kept');
  await replaceMessage(deps, chat.id, callbackQuery.message?.message_id, 'Kept it. Nothing was deleted.');
}

async function confirmDelete(deps: FeatureDeps, chat: Chat, from: User | undefined): Promise<void> {
  try {
    const conversation = await currentConversation(deps, chat, from);
    const asker = from ? `:${from.id}` : '';
    const data = conversation && `d:${conversation.id}${asker}`;
    if (!conversation || !data || Buffer.byteLength(data) > 64) {
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
            { text: 'Keep', callback_data: `k${asker}` },
          ],
        ],
      },
    });
  } catch (err) {
    await reportFailure(deps, chat.id, err, 'delete (confirm)');
  }
}

/**
 * The chat's current conversation, as the server knows it: the one its next message goes to, whatever
 * replica or restart of the bot asks.
 */
async function currentConversation(
  deps: FeatureDeps,
  chat: Chat,
  from: User | undefined,
): Promise<Conversation | undefined> {
  const { conversation } = await deps.parley.getSession({ session: sessionMetadataFor(chat, from) });
  return conversation;
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
    await answerCallback(deps, target.callbackId, 'Deleted');
    await replaceMessage(deps, chat.id, target.messageId, 'Deleted. Send a message to keep chatting.');
  } catch (err) {
    await answerCallback(deps, target.callbackId);
    await reportFailure(deps, chat.id, err, 'delete conversation');
  }
}
