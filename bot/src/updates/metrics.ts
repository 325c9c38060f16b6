import { Counter, Histogram, type Registry } from 'prom-client';
import type { SendEvent } from '../telegram/outbox.ts';

/** What the bot counts. No user or chat ids as labels: they would make unbounded series. */
export interface BotMetrics {
  update(kind: 'handled' | 'duplicate' | 'refused' | 'ignored' | 'busy'): void;
  turn(outcome: string, seconds: number): void;
  send(event: SendEvent): void;
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
  return {
    update: (kind) => updates.inc({ kind }),
    turn: (outcome, seconds) => turns.observe({ outcome }, seconds),
    send: (event) => sends.inc({ event }),
  };
}
