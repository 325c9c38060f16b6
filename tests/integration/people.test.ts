import { loadPolicyConfig } from '@parley/config';
import type { IdentityClient } from '@parley/rpc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScriptedLlm } from '../../server/src/assistant/scripted-llm.ts';
import { OTHER_KEY, type RunningParley, startParley } from '../support/parley.ts';
import { rpcError as refusal } from '../support/rpc-error.ts';

// One person across clients, over real HTTP on the embedded stores: the `test` key plays the Telegram bot,
// the `other` key the CLI (and is an admin, with any model allowed).

const telegram = (userId: string) => ({ platform: 'telegram', userId, chatId: userId });
const terminal = (userId: string) => ({ platform: 'cli', userId, chatId: '' });
const pairs = (identities: Array<{ clientId: string; userId: string }>) =>
  identities.map(({ clientId, userId }) => `${clientId}:${userId}`).sort();

async function link(issuer: IdentityClient, issuerUser: string, redeemer: IdentityClient, user: string) {
  const { code } = await issuer.createLinkCode({ userId: issuerUser });
  return redeemer.redeemLinkCode({ userId: user, code });
}

describe('people across clients', () => {
  let parley: RunningParley;
  const llm = new ScriptedLlm();

  beforeAll(async () => {
    const env = {
      ADMIN_CLIENTS: 'other',
      ALLOWED_MODELS: 'small-model',
      // Each echoed turn costs 15 tokens: after two turns a person's day is used up.
      BUDGET_DAILY_TOKENS: '30',
    };
    const policy = loadPolicyConfig(env, { clients: ['test', 'other'], defaultModel: 'gpt-4o-mini' });
    const other = { ...policy.clients.other, models: 'any' as const } as (typeof policy.clients)[string];
    parley = await startParley({
      env,
      overrides: { llm, policy: { ...policy, clients: { ...policy.clients, other } } },
    });
  });
  afterAll(() => parley.cleanup());

  it('lets a Telegram chat switch to and continue a conversation started in the CLI', async () => {
    const bot = parley.client();
    const cli = parley.client({ apiKey: OTHER_KEY });
    const started = await cli.startConversation({ message: 'plan my trip', session: terminal('ann') });
    const id = started.conversation?.id ?? '';
    expect(
      await refusal(bot.switchConversation({ conversationId: id, session: telegram('42') })),
    ).toMatchObject({ code: 'not_found' });
    const linked = await link(parley.identity(), '42', parley.identity({ apiKey: OTHER_KEY }), 'ann');
    expect(pairs(linked.identities)).toEqual(['other:ann', 'test:42']);
    const listed = await bot.listConversations({ session: telegram('42') });
    expect(listed.conversations.map((c) => c.id)).toContain(id);
    await bot.switchConversation({ conversationId: id, session: telegram('42') });
    await bot.continueConversation({ message: 'and from my phone', session: telegram('42') });
    const seen = await cli.describeConversation({ conversationId: id, session: terminal('ann') });
    expect(seen.messages.map((m) => m.content)).toEqual([
      'plan my trip',
      'Echo: plan my trip',
      'and from my phone',
      'Echo: and from my phone',
    ]);
  });

  it('shares usage and budgets across the person’s identities', async () => {
    const bot = parley.client();
    const cli = parley.client({ apiKey: OTHER_KEY });
    await link(parley.identity(), 'budget-tg', parley.identity({ apiKey: OTHER_KEY }), 'budget-cli');
    const cliSession = { platform: 'cli', userId: 'budget-cli', chatId: 'terminal' };
    await cli.continueConversation({ message: 'one', session: cliSession });
    await bot.continueConversation({ message: 'two', session: telegram('budget-tg') });
    const usage = await parley.usage().getUsage({ userId: 'budget-tg' });
    expect(Number(usage.daily?.used?.turns)).toBe(2);
    const refused = await refusal(
      bot.continueConversation({ message: 'three', session: telegram('budget-tg') }),
    );
    expect(refused.code).toBe('resource_exhausted');
    expect(refused.meta.budget).toBe('daily_tokens');
    // Someone unlinked on the same client is untouched.
    await bot.continueConversation({ message: 'alone', session: telegram('budget-alone') });
  });

  it('runs each call under its own key’s policy: models and admin rights do not travel with a link', async () => {
    const bot = parley.client();
    const cli = parley.client({ apiKey: OTHER_KEY });
    await link(parley.identity({ apiKey: OTHER_KEY }), 'pol-cli', parley.identity(), 'pol-tg');
    await cli.startConversation({ message: 'hi', model: 'big-model', session: terminal('pol-cli') });
    const model = await refusal(
      bot.startConversation({ message: 'hi', model: 'big-model', session: telegram('pol-tg') }),
    );
    expect(model.code).toBe('permission_denied');
    expect((await refusal(parley.admin().listLinkedPeople({}))).code).toBe('permission_denied');
  });

  it('never lets a client act for another client’s user without that user’s code', async () => {
    const cli = parley.identity({ apiKey: OTHER_KEY });
    // The CLI's "42" is its own user, not the Telegram user 42: nothing of theirs is reachable.
    expect((await cli.listLinks({ userId: '42' })).identities).toEqual([]);
    const foreign = await refusal(
      cli.unlink({ userId: 'mallory', identity: { clientId: 'test', userId: '42', caller: false } }),
    );
    expect(foreign.code).toBe('not_found');
    expect((await parley.identity().listLinks({ userId: '42' })).identities).toHaveLength(2);
    const wrong = await refusal(cli.redeemLinkCode({ userId: 'mallory', code: 'ABCD-EFGH' }));
    expect(wrong.code).toBe('not_found');
  });

  it('limits redemption attempts per identity', async () => {
    const cli = parley.identity({ apiKey: OTHER_KEY });
    for (let i = 0; i < 5; i++) {
      expect((await refusal(cli.redeemLinkCode({ userId: 'guesser', code: 'ZZZZ-ZZZZ' }))).code).toBe(
        'not_found',
      );
    }
    const { code } = await parley.identity().createLinkCode({ userId: 'victim' });
    const limited = await refusal(cli.redeemLinkCode({ userId: 'guesser', code }));
    expect(limited.code).toBe('resource_exhausted');
    expect(Number(limited.meta.retry_after)).toBeGreaterThan(0);
    expect((await parley.identity().listLinks({ userId: 'victim' })).identities).toEqual([]);
  });

  it('lets an admin list links and undo one; each identity keeps what it started', async () => {
    const admin = parley.admin({ apiKey: OTHER_KEY });
    const { people } = await admin.listLinkedPeople({ clientId: 'test' });
    const ann = people.find((p) => pairs(p.identities).includes('test:42'));
    expect(pairs(ann?.identities ?? [])).toEqual(['other:ann', 'test:42']);
    expect((await admin.unlinkIdentity({ clientId: 'test', userId: '42' })).wasLinked).toBe(true);
    const bot = parley.client();
    const listed = await bot.listConversations({ session: telegram('42') });
    expect(listed.conversations).toHaveLength(0);
    const own = await parley.client({ apiKey: OTHER_KEY }).listConversations({ session: terminal('ann') });
    expect(own.conversations).toHaveLength(1);
  });

  it('keeps the person’s language on the server: set from one client, read from another', async () => {
    const bot = parley.identity();
    const cli = parley.identity({ apiKey: OTHER_KEY });
    await link(bot, 'lang-tg', cli, 'lang-cli');
    await bot.setLanguage({ userId: 'lang-tg', language: 'ru' });
    expect((await cli.getPreferences({ userId: 'lang-cli' })).language).toBe('ru');
    const bad = await refusal(bot.setLanguage({ userId: 'lang-tg', language: 'not a language!' }));
    expect(bad.code).toBe('invalid_argument');
  });

  it('tells the model the user’s language: the person’s choice first, else the client’s', async () => {
    const bot = parley.client();
    const systemLine = () => {
      const system = llm.calls.at(-1)?.messages.find((m) => m.role === 'system')?.content ?? '';
      return system.split('\n').find((line) => line.startsWith('The user')) ?? '';
    };
    await bot.continueConversation({ message: 'привет', session: { ...telegram('hint'), language: 'ru' } });
    expect(systemLine()).toMatch(/^The user's language: Russian \(ru\)\./);
    await parley.identity().setLanguage({ userId: 'hint', language: 'en' });
    await bot.continueConversation({ message: 'hello', session: { ...telegram('hint'), language: 'ru' } });
    expect(systemLine()).toMatch(/^The user's language: English \(en\)\./);
    await bot.continueConversation({ message: 'x', session: telegram('no-hint') });
    expect(systemLine()).toBe('');
  });
});
