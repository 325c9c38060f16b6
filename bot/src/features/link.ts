import { describeRpcError, RpcError, Timestamp } from '@parley/rpc';
import { Composer, type Context } from 'telegraf';
import type { Chat, User } from 'telegraf/types';
import type { MenuEntry } from '../i18n/menu.ts';
import type { Texts } from '../i18n/texts.ts';
import { escapeHtml } from '../telegram/reply-format.ts';
import { enqueue, type FeatureDeps, reportFailure } from '../updates/feature-deps.ts';
import { isGroupChat } from '../updates/session-metadata.ts';

/** This feature's entries in Telegram's command menu (`/links` and `/unlink` are named in its replies). */
export const LINK_MENU: MenuEntry[] = [{ command: 'link', description: 'menu.link' }];

const MAX_CODE = 32;

/**
 * Linking this Telegram user with their identities on other clients (the Parley CLI, …): `/link` shows
 * a one-time code to redeem elsewhere (`parley link CODE`), `/link CODE` redeems one shown elsewhere
 * (`parley link`), `/links` lists the links and `/unlink <n>` undoes one. Private chats only: a group's
 * conversations belong to the group.
 */
export function linkFeature(deps: FeatureDeps): Composer<Context> {
  const feature = new Composer<Context>();
  feature.command(['link', 'links', 'unlink'], (ctx) => {
    const { chat, from } = ctx;
    const payload = ctx.payload.trim().slice(0, MAX_CODE + 1);
    const command = ctx.command;
    enqueue(deps, chat, () => runLinkCommand(deps, { chat, from, command, payload }), from);
  });
  return feature;
}

interface LinkCommand {
  chat: Chat;
  from: User | undefined;
  command: string;
  payload: string;
}

async function runLinkCommand(deps: FeatureDeps, request: LinkCommand): Promise<void> {
  const { chat, from, command, payload } = request;
  const texts = await deps.languages.textsFor(from);
  if (isGroupChat(chat) || !from) {
    await deps.outbox.text(chat.id, texts.t('link.groupOnly'));
    return;
  }
  const userId = String(from.id);
  try {
    if (command === 'links') await showLinks(deps, chat, userId, texts);
    else if (command === 'unlink') await unlink(deps, chat, userId, payload, texts);
    else if (payload) await redeem(deps, chat, userId, payload, texts);
    else await showCode(deps, chat, userId, texts);
  } catch (err) {
    const refusal = payload && command === 'link' ? redeemRefusal(err, texts) : undefined;
    if (refusal) await deps.outbox.html(chat.id, refusal);
    else await reportFailure(deps, chat.id, err, command, texts);
  }
}

async function showCode(deps: FeatureDeps, chat: Chat, userId: string, texts: Texts): Promise<void> {
  const { code, expiresAt } = await deps.identity.createLinkCode({ userId });
  const seconds = expiresAt ? (Timestamp.toDate(expiresAt).getTime() - Date.now()) / 1000 : 600;
  const html = texts.t('link.code', { code: escapeHtml(code), duration: texts.duration(seconds) });
  await deps.outbox.html(chat.id, html);
}

async function redeem(deps: FeatureDeps, chat: Chat, userId: string, code: string, texts: Texts) {
  const { identities } = await deps.identity.redeemLinkCode({ userId, code });
  const others = identities.filter((i) => !i.caller);
  const names = others.map((i) => `<code>${escapeHtml(i.clientId)}</code>`).join(', ');
  await deps.outbox.html(chat.id, texts.t('link.linked', { others: names }));
}

async function showLinks(deps: FeatureDeps, chat: Chat, userId: string, texts: Texts): Promise<void> {
  const { identities } = await deps.identity.listLinks({ userId });
  if (identities.length === 0) {
    await deps.outbox.text(chat.id, texts.t('link.none'));
    return;
  }
  const lines = identities.map((identity, i) => {
    const line = texts.t('link.identity', {
      index: String(i + 1),
      client: `<code>${escapeHtml(identity.clientId)}</code>`,
      user: escapeHtml(identity.userId),
      date: identity.linkedAt ? texts.date(Timestamp.toDate(identity.linkedAt)) : '',
    });
    return identity.caller ? `${line} ${texts.t('link.thisChat')}` : line;
  });
  await deps.outbox.html(chat.id, texts.t('link.list', { identities: lines.join('\n') }));
}

async function unlink(deps: FeatureDeps, chat: Chat, userId: string, payload: string, texts: Texts) {
  const { identities } = await deps.identity.listLinks({ userId });
  const target = /^\d{1,2}$/.test(payload) ? identities[Number(payload) - 1] : undefined;
  if (!target) {
    await deps.outbox.html(chat.id, identities.length ? texts.t('link.unlinkWhich') : texts.t('link.none'));
    return;
  }
  await deps.identity.unlink({ userId, identity: { ...target, caller: false } });
  await deps.outbox.text(chat.id, texts.t('link.unlinked'));
}

/** The bot's own words for a code that could not be redeemed; undefined for other failures. */
function redeemRefusal(err: unknown, texts: Texts): string | undefined {
  const { code, retryAfterSeconds } = describeRpcError(err);
  const meta = err instanceof RpcError ? err.meta : {};
  if (code === 'not_found' || code === 'invalid_argument') return texts.t('link.badCode');
  if (code === 'resource_exhausted')
    return texts.t('link.tooMany', { duration: texts.duration(retryAfterSeconds ?? 60) });
  if (code === 'failed_precondition')
    return meta.max_identities ? texts.t('link.full') : texts.t('link.self');
  return undefined;
}
