import { Composer, type Context } from 'telegraf';
import type { Chat, InlineKeyboardButton, User } from 'telegraf/types';
import type { MenuEntry } from '../i18n/menu.ts';
import { CATALOGS, isLocale, LOCALES, type Locale, type Texts, textsFor } from '../i18n/texts.ts';
import {
  answerCallback,
  enqueue,
  type FeatureDeps,
  replaceMessage,
  reportFailure,
} from '../updates/feature-deps.ts';

/** This feature's entries in Telegram's command menu. */
export const LANGUAGE_MENU: MenuEntry[] = [{ command: 'language', description: 'menu.language' }];

/** Callback data of a language button: `lang:<locale>`. */
const PICK = /^lang:([a-z]{2,3})$/;

/**
 * /language shows a button per catalog's language (each named in itself); a tap, or `/language ru`,
 * keeps the choice on the server for the person (IdentityService), so every replica of the bot and every
 * linked app agrees, and answers in the new language at once.
 */
export function languageFeature(deps: FeatureDeps): Composer<Context> {
  const feature = new Composer<Context>();
  feature.command('language', (ctx) => {
    const { chat, from } = ctx;
    const wanted = ctx.payload.trim().toLowerCase();
    const task = wanted ? () => choose(deps, { chat, from, wanted }) : () => showChoices(deps, chat, from);
    enqueue(deps, chat, task, from);
  });
  feature.action(PICK, (ctx) => {
    const { chat, from, callbackQuery } = ctx;
    if (!chat) return answerCallback(deps, callbackQuery.id);
    const request = {
      chat,
      from,
      wanted: ctx.match[1] ?? '',
      callbackId: callbackQuery.id,
      messageId: callbackQuery.message?.message_id,
    };
    enqueue(deps, chat, () => choose(deps, request), from);
  });
  return feature;
}

async function showChoices(deps: FeatureDeps, chat: Chat, from: User | undefined): Promise<void> {
  const texts = await deps.languages.textsFor(from);
  const keyboard: InlineKeyboardButton[][] = LOCALES.map((locale) => [
    {
      text: `${locale === texts.locale ? '✓ ' : ''}${CATALOGS[locale].language.name}`,
      callback_data: `lang:${locale}`,
    },
  ]);
  const html = texts.t('language.choose', { current: texts.t('language.name') });
  await deps.outbox.html(chat.id, html, { keyboard: { inline_keyboard: keyboard } });
}

/**
 * Telegram shows a user the menu of their app's language; after a choice in a private chat, that chat
 * gets its own menu in the chosen language. A failure only leaves the menu as it was.
 */
async function chatMenuIn(deps: FeatureDeps, chat: Chat, texts: Texts): Promise<void> {
  if (chat.type !== 'private') return;
  await deps.telegram
    .setMyCommands(deps.commandMenu(texts), { scope: { type: 'chat', chat_id: chat.id } })
    .catch((err: unknown) => deps.logger.warn({ err }, 'could not set the chat’s command menu'));
}

interface ChooseRequest {
  chat: Chat;
  from: User | undefined;
  wanted: string;
  callbackId?: string;
  messageId?: number | undefined;
}

async function choose(deps: FeatureDeps, request: ChooseRequest): Promise<void> {
  const { chat, from, wanted } = request;
  const current = await deps.languages.textsFor(from);
  if (!from || !isLocale(wanted)) {
    if (request.callbackId) await answerCallback(deps, request.callbackId);
    await deps.outbox.text(chat.id, current.t('language.unknown'));
    return;
  }
  try {
    await deps.languages.choose(from, wanted);
    const chosen = textsFor(wanted as Locale);
    await chatMenuIn(deps, chat, chosen);
    const text = chosen.t('language.set', { language: chosen.t('language.name') });
    if (request.callbackId) {
      await answerCallback(deps, request.callbackId, chosen.t('language.name'));
      await replaceMessage(deps, chat.id, request.messageId, text);
    } else {
      await deps.outbox.text(chat.id, text);
    }
  } catch (err) {
    if (request.callbackId) await answerCallback(deps, request.callbackId);
    await reportFailure(deps, chat.id, err, 'language', current);
  }
}
