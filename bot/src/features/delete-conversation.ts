import type { Conversation } from '@parley/rpc';
import { Composer, type Context } from 'telegraf';
import type { CallbackQuery, Chat, User } from 'telegraf/types';
import type { MenuEntry } from '../i18n/menu.ts';
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
export const DELETE_MENU: MenuEntry[] = [{ command: 'delete', description: 'menu.delete' }];

/**
 * Callback data of the buttons: `d:<conversation id>:<asker>` deletes, `k:<asker>` keeps, where the asker
 * is the Telegram user who sent /delete: in a group only they may answer. (`d:<id>` and `k` are the
 * buttons of older messages, without an asker.)
 */
const CONFIRM = /^d:([A-Za-z0-9_-]{1,62})(?::(\d{1,20}))?$/;
const KEEP = /^k(?::(\d{1,20}))?$/;

/** /delete asks before deleting the chat's current conversation; the answer comes from its buttons. */
export function deleteFeature(deps: FeatureDeps): Composer<Context> {
  const feature = new Composer<Context>();
  feature.command('delete', (ctx) => {
    const { chat, from } = ctx;
    enqueue(deps, chat, () => confirmDelete(deps, chat, from), from);
  });
  feature.action(CONFIRM, (ctx) => {
    const { chat, from, callbackQuery } = ctx;
    if (!chat) return answerCallback(deps, callbackQuery.id);
    if (!isAsker(ctx.match[2], from)) return notYours(deps, callbackQuery.id, from);
    const target = {
      chat,
      from,
      conversationId: ctx.match[1] ?? '',
      callbackId: callbackQuery.id,
      messageId: callbackQuery.message?.message_id,
      updateId: ctx.update.update_id,
    };
    enqueue(deps, chat, () => deleteConfirmed(deps, target), from);
  });
  feature.action(KEEP, (ctx) => {
    const { chat, from, callbackQuery } = ctx;
    if (!chat) return answerCallback(deps, callbackQuery.id);
    if (!isAsker(ctx.match[1], from)) return notYours(deps, callbackQuery.id, from);
    enqueue(deps, chat, () => kept(deps, chat, from, callbackQuery), from);
  });
  return feature;
}

/** True when the button names no asker (an older message) or `from` is the asker. */
function isAsker(asker: string | undefined, from: User | undefined): boolean {
  return asker === undefined || String(from?.id) === asker;
}

async function notYours(deps: FeatureDeps, callbackId: string, from: User | undefined): Promise<void> {
  const { t } = await deps.languages.textsFor(from);
  await answerCallback(deps, callbackId, t('delete.notYours'));
}

async function kept(
  deps: FeatureDeps,
  chat: Chat,
  from: User | undefined,
  callbackQuery: CallbackQuery,
): Promise<void> {
  const { t } = await deps.languages.textsFor(from);
  await answerCallback(deps, callbackQuery.id, t('delete.kept'));
  await replaceMessage(deps, chat.id, callbackQuery.message?.message_id, t('delete.keptText'));
}

async function confirmDelete(deps: FeatureDeps, chat: Chat, from: User | undefined): Promise<void> {
  const texts = await deps.languages.textsFor(from);
  const { t } = texts;
  try {
    const conversation = await currentConversation(deps, chat, from);
    const asker = from ? `:${from.id}` : '';
    const data = conversation && `d:${conversation.id}${asker}`;
    if (!conversation || !data || Buffer.byteLength(data) > 64) {
      await deps.outbox.text(chat.id, t('delete.nothing'));
      return;
    }
    const title = escapeHtml(titleOf(conversation, texts));
    const html = t('delete.confirm', { title, count: conversation.messageCount });
    await deps.outbox.html(chat.id, html, {
      keyboard: {
        inline_keyboard: [
          [
            { text: t('delete.deleteButton'), callback_data: data },
            { text: t('delete.keepButton'), callback_data: `k${asker}` },
          ],
        ],
      },
    });
  } catch (err) {
    await reportFailure(deps, chat.id, err, 'delete (confirm)', texts);
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
  const texts = await deps.languages.textsFor(target.from);
  try {
    await deps.parley.deleteConversation({
      conversationId,
      session: sessionMetadataFor(chat, target.from),
      requestId: requestIdFor(target.updateId),
    });
    await answerCallback(deps, target.callbackId, texts.t('delete.deleted'));
    await replaceMessage(deps, chat.id, target.messageId, texts.t('delete.deletedText'));
  } catch (err) {
    await answerCallback(deps, target.callbackId);
    await reportFailure(deps, chat.id, err, 'delete conversation', texts);
  }
}
