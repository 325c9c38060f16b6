import type { GetUsageResponse, PeriodUsage } from '@parley/rpc';
import { Timestamp } from '@parley/rpc';
import { Composer, type Context } from 'telegraf';
import type { BotCommand, Chat, User } from 'telegraf/types';
import { escapeHtml } from '../telegram/reply-format.ts';
import { humanDuration } from '../updates/errors.ts';
import { enqueue, type FeatureDeps, reportFailure } from '../updates/feature-deps.ts';
import { isGroupChat, sessionMetadataFor } from '../updates/session-metadata.ts';

/** This feature's entries in Telegram's command menu. */
export const USAGE_MENU: BotCommand[] = [{ command: 'usage', description: 'Your usage and what is left' }];

/**
 * /usage: what the user (in a group: the group, which owns its conversations) used today and this month,
 * the limits and what is left, when they reset, and the model of the current conversation.
 */
export function usageFeature(deps: FeatureDeps): Composer<Context> {
  const feature = new Composer<Context>();
  feature.command('usage', (ctx) => {
    const { chat, from } = ctx;
    enqueue(deps, chat, () => showUsage(deps, chat, from));
  });
  return feature;
}

async function showUsage(deps: FeatureDeps, chat: Chat, from: User | undefined): Promise<void> {
  try {
    const session = sessionMetadataFor(chat, from);
    const [usage, { conversation }] = await Promise.all([
      deps.usage.getUsage({ userId: session.userId }),
      deps.parley.getSession({ session }),
    ]);
    await deps.outbox.html(chat.id, usageHtml(usage, conversation?.model, isGroupChat(chat)));
  } catch (err) {
    await reportFailure(deps, chat.id, err, 'usage');
  }
}

/** The compact /usage message: one line per period, money only when the operator prices models. */
export function usageHtml(
  usage: GetUsageResponse,
  currentModel: string | undefined,
  group: boolean,
  now = new Date(),
): string {
  const periods: Array<[string, PeriodUsage | undefined]> = [
    ['Today', usage.daily],
    ['This month', usage.monthly],
  ];
  const priced = periods.some(
    ([, p]) => Number(p?.used?.costMicros ?? 0) > 0 || p?.limit?.costMicros !== undefined,
  );
  const lines = [`<b>${group ? 'This group’s usage' : 'Your usage'}</b>`];
  for (const [name, period] of periods) {
    lines.push(`${name}: ${tokensText(period, now)}`);
    if (priced) lines.push(`${name}, cost: ${costText(period, usage.currency)}`);
  }
  const model = currentModel || usage.defaultModel;
  if (model) lines.push(`Model: <code>${escapeHtml(model)}</code> — change it with /model`);
  if (usage.blocked) lines.push('⛔ Blocked: the assistant won’t answer until the operator lifts it.');
  return lines.join('\n');
}

function tokensText(period: PeriodUsage | undefined, now: Date): string {
  const used = Number(period?.used?.inputTokens ?? 0) + Number(period?.used?.outputTokens ?? 0);
  const limit = period?.limit?.tokens;
  if (limit === undefined) return `${count(used)} tokens (no limit)`;
  const left = count(Number(period?.remaining?.tokens ?? 0));
  return `${count(used)} of ${count(Number(limit))} tokens · ${left} left${resetText(period, now)}`;
}

function costText(period: PeriodUsage | undefined, currency: string): string {
  const used = money(period?.used?.costMicros, currency);
  const limit = period?.limit?.costMicros;
  if (limit === undefined) return `${used} (no limit)`;
  return `${used} of ${money(limit, currency)} · ${money(period?.remaining?.costMicros, currency)} left`;
}

function resetText(period: PeriodUsage | undefined, now: Date): string {
  if (!period?.resetsAt) return '';
  const seconds = (Timestamp.toDate(period.resetsAt).getTime() - now.getTime()) / 1000;
  return seconds > 0 ? ` · resets in ${humanDuration(seconds)}` : '';
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}

/** Millionths of the currency as `0.0123 USD`: at least two decimals, more for small amounts. */
export function money(micros: string | undefined, currency: string): string {
  const amount = Number(micros ?? 0) / 1_000_000;
  return `${amount.toFixed(6).replace(/(\.\d\d\d*?)0+$/, '$1')} ${escapeHtml(currency)}`.trim();
}
