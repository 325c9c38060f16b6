import type { GetUsageResponse } from '@parley/rpc';
import { Composer, type Context } from 'telegraf';
import type { Chat, InlineKeyboardButton, User } from 'telegraf/types';
import type { MenuEntry } from '../i18n/menu.ts';
import type { Texts } from '../i18n/texts.ts';
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

/** This feature's entries in Telegram's command menu. */
export const MODEL_MENU: MenuEntry[] = [{ command: 'model', description: 'menu.model' }];

/** Callback data of a model button: `m:<model>` (Telegram allows 64 bytes; longer names get no button). */
const PICK = /^m:(.{1,62})$/;
const MAX_MODEL = 100;

/**
 * /model lists the models this bot's key may use (GetUsage) as buttons, the current conversation's
 * marked. A model belongs to a conversation (StartConversation takes it; a conversation keeps it), so a
 * pick starts a new conversation on that model; the previous one stays in /history. `/model <name>`
 * picks directly, which is the only way when the operator allows any model.
 */
export function modelFeature(deps: FeatureDeps): Composer<Context> {
  const feature = new Composer<Context>();
  feature.command('model', (ctx) => {
    const { chat, from } = ctx;
    const name = ctx.payload.trim();
    const updateId = ctx.update.update_id;
    if (name.length > MAX_MODEL) {
      const tooLong = async () => {
        const { t } = await deps.languages.textsFor(from);
        await deps.outbox.text(chat.id, t('model.tooLong'));
      };
      enqueue(deps, chat, tooLong, from);
    } else if (name) {
      enqueue(deps, chat, () => pick(deps, { chat, from, model: name, updateId }), from);
    } else {
      enqueue(deps, chat, () => showModels(deps, chat, from), from);
    }
  });
  feature.action(PICK, (ctx) => {
    const { chat, from, callbackQuery } = ctx;
    if (!chat) return answerCallback(deps, callbackQuery.id);
    const request = {
      chat,
      from,
      model: ctx.match[1] ?? '',
      updateId: ctx.update.update_id,
      callbackId: callbackQuery.id,
      messageId: callbackQuery.message?.message_id,
    };
    enqueue(deps, chat, () => pick(deps, request), from);
  });
  return feature;
}

async function showModels(deps: FeatureDeps, chat: Chat, from: User | undefined): Promise<void> {
  const texts = await deps.languages.textsFor(from);
  try {
    const session = sessionMetadataFor(chat, from);
    const [usage, { conversation }] = await Promise.all([
      deps.usage.getUsage({ userId: session.userId }),
      deps.parley.getSession({ session }),
    ]);
    const current = conversation?.model || usage.defaultModel;
    const { html, keyboard } = modelMenu(usage, current, texts);
    await deps.outbox.html(
      chat.id,
      html,
      keyboard.length > 0 ? { keyboard: { inline_keyboard: keyboard } } : {},
    );
  } catch (err) {
    await reportFailure(deps, chat.id, err, 'list models', texts);
  }
}

/** The /model message: the current model, and a button per allowed model (none when any is allowed). */
export function modelMenu(
  usage: GetUsageResponse,
  current: string,
  texts: Texts,
): { html: string; keyboard: InlineKeyboardButton[][] } {
  const { t } = texts;
  const now = t('model.current', { model: escapeHtml(current) });
  if (usage.anyModel) return { html: `${now}\n\n${t('model.anyAllowed')}`, keyboard: [] };
  const keyboard: InlineKeyboardButton[][] = [];
  for (const model of usage.allowedModels) {
    const data = `m:${model}`;
    if (Buffer.byteLength(data) > 64) continue;
    const label = `${model === current ? '✓ ' : ''}${model}${model === usage.defaultModel ? ` ${t('model.default')}` : ''}`;
    keyboard.push([{ text: label, callback_data: data }]);
  }
  const html = `${t('model.pick')}\n${now}\n\n${t('model.pickHint')}`;
  return { html, keyboard };
}

interface PickRequest {
  chat: Chat;
  from: User | undefined;
  model: string;
  updateId: number;
  /** Set when a button was tapped: its spinner is stopped and its message replaced. */
  callbackId?: string;
  messageId?: number | undefined;
}

/** Starts a new conversation on the model; the server checks the model against the bot's policy. */
async function pick(deps: FeatureDeps, request: PickRequest): Promise<void> {
  const { chat, model } = request;
  const texts = await deps.languages.textsFor(request.from);
  try {
    await deps.parley.startConversation({
      session: sessionMetadataFor(chat, request.from),
      model,
      requestId: requestIdFor(request.updateId),
    });
    if (request.callbackId) await answerCallback(deps, request.callbackId, model);
    const html = texts.t('model.nowUsing', { model: escapeHtml(model) });
    if (request.callbackId) await replaceMessage(deps, chat.id, request.messageId, html);
    else await deps.outbox.html(chat.id, html);
  } catch (err) {
    if (request.callbackId) await answerCallback(deps, request.callbackId);
    await reportFailure(deps, chat.id, err, 'pick model', texts);
  }
}
