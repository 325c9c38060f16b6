import { Counter, Histogram, type Registry } from 'prom-client';
import type { SendEvent } from '../telegram/outbox.ts';
import type { UnreachableReason } from '../telegram/telegram-failure.ts';

/** What the bot counts. No user or chat ids as labels: they would make unbounded series. */
export interface BotMetrics {
  update(kind: 'handled' | 'duplicate' | 'refused' | 'ignored' | 'busy'): void;
  turn(outcome: string, seconds: number): void;
  send(event: SendEvent): void;
  /** Telegram refused a chat for good (blocked, kicked, chat not found): counted once per chat. */
  unreachable(reason: UnreachableReason): void;
}

export function createBotMetrics(registry: Registry): BotMetrics {
  const updates = new Counter({
    name: 'parley_bot_updates_total',
    help: 'Telegram updates received, by what the bot did with them',
    labelNames: ['kind'],
    registers: [registry],
  });
  const turns = new Histogram({
    name: 'parley_bot_turn_duration_seconds',
    help: 'Time from a user message to the reply being sent, by outcome (ok or the RPC error code)',
    labelNames: ['outcome'],
    buckets: [0.25, 0.5, 1, 2, 5, 10, 20, 40, 80, 160],
    registers: [registry],
  });
  const sends = new Counter({
    name: 'parley_bot_telegram_send_events_total',
    help: 'Outgoing messages retried after a 429, resent as plain text, or dropped',
    labelNames: ['event'],
    registers: [registry],
  });
  const unreachable = new Counter({
    name: 'parley_bot_telegram_unreachable_chats_total',
    help: 'Chats Telegram refused for good (403 blocked, kicked; 400 chat not found), by reason; nothing more is sent to them until they write again',
    labelNames: ['reason'],
    registers: [registry],
  });
  return {
    update: (kind) => updates.inc({ kind }),
    turn: (outcome, seconds) => turns.observe({ outcome }, seconds),
    send: (event) => sends.inc({ event }),
    unreachable: (reason) => unreachable.inc({ reason }),
  };
}
