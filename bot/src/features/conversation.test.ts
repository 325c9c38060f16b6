import { brokenStreamError } from '@parley/rpc';
import { playTurn, turnEvent } from '@parley/rpc/testing';
import type { Update } from 'telegraf/types';
import { describe, expect, it } from 'vitest';
import { botHarness } from '../testing/bot-harness.ts';

const chat = { id: 7, type: 'private' as const, first_name: 'Ann' };
const from = { id: 7, is_bot: false, first_name: 'Ann' };
const hi: Update = { update_id: 41, message: { message_id: 41, date: 0, chat, from, text: 'hi' } };

describe('a conversation turn', () => {
  it('re-attaches a dropped stream with the update’s request id and sends the reply once', async () => {
    let calls = 0;
    const bot = botHarness({
      parley: {
        streamContinueConversation: (_req, opts) => {
          calls++;
          if (calls === 1) {
            return (async function* () {
              yield* playTurn([turnEvent.started('c1'), turnEvent.delta('Hello ')], opts?.signal);
              throw brokenStreamError('terminated: other side closed');
            })();
          }
          // The server replays `started` and the text so far, then the rest.
          return playTurn(
            [
              turnEvent.started('c1'),
              turnEvent.delta('Hello wor'),
              turnEvent.delta('ld'),
              turnEvent.done('c1', 'Hello world'),
            ],
            opts?.signal,
          );
        },
      },
    });
    await bot.send(hi);
    expect(bot.parley.requests('streamContinueConversation').map((r) => r.requestId)).toEqual([
      'tg-41',
      'tg-41',
    ]);
    expect(bot.messages().map((m) => m.text)).toEqual(['Hello world']);
    for (const draft of bot.callsTo('sendMessageDraft'))
      expect(String(draft.text)).not.toMatch(/Hello Hello/);
  });
});
