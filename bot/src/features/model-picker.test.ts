import { Conversation, RpcError } from '@parley/rpc';
import { FakeUsageClient } from '@parley/rpc/testing';
import { describe, expect, it } from 'vitest';
import { botHarness, command, tap } from '../testing/bot-harness.ts';

const allowed = { defaultModel: 'gpt-4o-mini', allowedModels: ['gpt-4o-mini', 'gpt-4o'] };

describe('/model', () => {
  it('lists the allowed models as buttons, the current conversation’s ticked', async () => {
    const bot = botHarness({
      usage: new FakeUsageClient(allowed),
      parley: {
        getSession: async () => ({ conversation: Conversation.create({ id: 'c1', model: 'gpt-4o' }) }),
      },
    });
    await bot.send(command(1, '/model'));
    const [menu] = bot.messages();
    expect(menu?.text).toContain('Current conversation: <code>gpt-4o</code>');
    expect(menu?.reply_markup).toEqual({
      inline_keyboard: [
        [{ text: 'gpt-4o-mini (default)', callback_data: 'm:gpt-4o-mini' }],
        [{ text: '✓ gpt-4o', callback_data: 'm:gpt-4o' }],
      ],
    });
  });

  it('starts a new conversation on the model tapped, in the chat’s session', async () => {
    const bot = botHarness({ usage: new FakeUsageClient(allowed) });
    await bot.send(tap(5, 'm:gpt-4o'));
    expect(bot.parley.requests('startConversation')).toEqual([
      { session: { platform: 'telegram', userId: '7', chatId: '7' }, model: 'gpt-4o', requestId: 'tg-5' },
    ]);
    expect(bot.callsTo('answerCallbackQuery')[0]).toMatchObject({
      callback_query_id: 'cb-5',
      text: 'gpt-4o',
    });
    expect(bot.callsTo('editMessageText')[0]?.text).toMatch(
      /^Now using <code>gpt-4o<\/code> in a new conversation/,
    );
  });

  it('picks by name with /model <name>, and says so when the server refuses the model', async () => {
    const bot = botHarness({
      parley: {
        startConversation: async () => {
          throw new RpcError('model not allowed', 'permission_denied', { allowed_models: 'gpt-4o-mini' });
        },
      },
    });
    await bot.send(command(1, '/model gpt-5-huge'));
    expect(bot.parley.requests('startConversation')[0]?.model).toBe('gpt-5-huge');
    expect(bot.messages()[0]?.text).toBe(
      'That model isn’t available here. See /model for the ones you can use.',
    );
  });

  it('tells how to pick by name when any model is allowed', async () => {
    const bot = botHarness({ usage: new FakeUsageClient({ anyModel: true, defaultModel: 'gpt-4o-mini' }) });
    await bot.send(command(1, '/model'));
    expect(bot.messages()[0]?.text).toContain('/model &lt;name&gt;');
    expect(bot.messages()[0]?.reply_markup).toBeUndefined();
  });
});
