import type { GetUsageResponse, PeriodUsage } from '@parley/rpc';
import { Timestamp } from '@parley/rpc';
import { Composer, type Context } from 'telegraf';
import type { Chat, User } from 'telegraf/types';
import type { MenuEntry } from '../i18n/menu.ts';
import type { Texts } from '../i18n/texts.ts';
import { escapeHtml } from '../telegram/reply-format.ts';
import { enqueue, type FeatureDeps, reportFailure } from '../updates/feature-deps.ts';
import { isGroupChat, sessionMetadataFor } from '../updates/session-metadata.ts';

/** This feature's entries in Telegram's command menu. */
export const USAGE_MENU: MenuEntry[] = [{ command: 'usage', description: 'menu.usage' }];

/**
 * /usage: what the user (in a group: the group, which owns its conversations) used today and this month,
 * the limits and what is left, when they reset, and the model of the current conversation.
 */
export function usageFeature(deps: FeatureDeps): Composer<Context> {
  const feature = new Composer<Context>();
  feature.command('usage', (ctx) => {
    const { chat, from } = ctx;
    enqueue(deps, chat, () => showUsage(deps, chat, from), from);
  });
  return feature;
}

async function showUsage(deps: FeatureDeps, chat: Chat, from: User | undefined): Promise<void> {
  const texts = await deps.languages.textsFor(from);
  try {
    const session = sessionMetadataFor(chat, from);
    const [usage, { conversation }] = await Promise.all([
      deps.usage.getUsage({ userId: session.userId }),
      deps.parley.getSession({ session }),
    ]);
    await deps.outbox.html(chat.id, usageHtml(usage, conversation?.model, isGroupChat(chat), texts));
  } catch (err) {
    await reportFailure(deps, chat.id, err, 'usage', texts);
  }
}

/** The compact /usage message: one line per period, money only when the operator prices models. */
export function usageHtml(
  usage: GetUsageResponse,
  currentModel: string | undefined,
  group: boolean,
  texts: Texts,
  now = new Date(),
): string {
  const { t } = texts;
  const periods: Array<[string, PeriodUsage | undefined]> = [
    [t('usage.today'), usage.daily],
    [t('usage.month'), usage.monthly],
  ];
  const priced = periods.some(
    ([, p]) => Number(p?.used?.costMicros ?? 0) > 0 || p?.limit?.costMicros !== undefined,
  );
  const lines = [`<b>${group ? t('usage.group') : t('usage.yours')}</b>`];
  for (const [name, period] of periods) {
    lines.push(`${name}: ${tokensText(period, texts, now)}`);
    if (priced)
      lines.push(`${t('usage.cost', { period: name })}: ${costText(period, usage.currency, texts)}`);
  }
  const model = currentModel || usage.defaultModel;
  if (model) lines.push(t('usage.model', { model: escapeHtml(model) }));
  if (usage.blocked) lines.push(t('usage.blocked'));
  return lines.join('\n');
}

function tokensText(period: PeriodUsage | undefined, texts: Texts, now: Date): string {
  const { t } = texts;
  const used = Number(period?.used?.inputTokens ?? 0) + Number(period?.used?.outputTokens ?? 0);
  const limit = period?.limit?.tokens;
  if (limit === undefined) return t('usage.tokensNoLimit', { count: used });
  const left = texts.number(Number(period?.remaining?.tokens ?? 0));
  const text = t('usage.tokensOfLimit', { used: texts.number(used), count: Number(limit), left });
  return `${text}${resetText(period, texts, now)}`;
}

function costText(period: PeriodUsage | undefined, currency: string, texts: Texts): string {
  const code = escapeHtml(currency);
  const used = texts.money(period?.used?.costMicros, code);
  const limit = period?.limit?.costMicros;
  if (limit === undefined) return texts.t('usage.costNoLimit', { used });
  const left = texts.money(period?.remaining?.costMicros, code);
  return texts.t('usage.costOfLimit', { used, limit: texts.money(limit, code), left });
}

function resetText(period: PeriodUsage | undefined, texts: Texts, now: Date): string {
  if (!period?.resetsAt) return '';
  const seconds = (Timestamp.toDate(period.resetsAt).getTime() - now.getTime()) / 1000;
  return seconds > 0 ? ` · ${texts.t('usage.resetsIn', { duration: texts.duration(seconds) })}` : '';
}
