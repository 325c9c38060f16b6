import { RpcError } from '@parley/rpc';
import { describe, expect, it } from 'vitest';
import { textsFor } from '../i18n/texts.ts';
import { describeForUser as describeIn } from './errors.ts';

const en = textsFor('en');
const describeForUser = (err: unknown) => describeIn(err, en);

describe('describeForUser', () => {
  it('says the model is unavailable', () => {
    const { code, text } = describeForUser(new RpcError('model provider circuit open', 'unavailable'));
    expect(code).toBe('unavailable');
    expect(text).toMatch(/model is unavailable/);
    expect(text).not.toMatch(/circuit/);
  });

  it('gives the wait time of a rate limit', () => {
    const err = new RpcError('rate limited', 'resource_exhausted', { retry_after: '42' });
    expect(describeForUser(err).text).toMatch(/wait 42 seconds/);
    expect(describeForUser(new RpcError('rate limited', 'resource_exhausted')).text).toMatch(/a moment/);
  });

  it('says a message is too long, with the limit when the server gives it in meta', () => {
    const err = new RpcError('message is too long', 'invalid_argument', {
      argument: 'message',
      max_chars: '8000',
    });
    expect(describeForUser(err).text).toBe(
      'That message is too long. Please keep it under 8,000 characters.',
    );
    const bare = new RpcError('message must be at most 8000 characters', 'invalid_argument', {
      argument: 'message',
    });
    expect(describeForUser(bare).text).toBe('That message is too long. Please send a shorter one.');
  });

  it('says a message with nothing in it is empty, not too long', () => {
    const err = new RpcError('message must not be empty', 'invalid_argument', {
      argument: 'message',
      reason: 'empty',
    });
    expect(describeForUser(err).text).toMatch(/^There’s nothing in that message/);
    expect(describeIn(err, textsFor('ru')).text).toMatch(/^В этом сообщении не на что ответить/);
  });

  it('says Parley is down when no server answers', () => {
    expect(describeForUser(new RpcError('fetch failed')).code).toBe('unreachable');
    expect(describeForUser(new TypeError('fetch failed', { cause: new Error('ECONNREFUSED') })).text).toMatch(
      /Parley is down/,
    );
  });

  it('blames the configuration for an authentication failure', () => {
    expect(describeForUser(new RpcError('missing API key', 'unauthenticated')).text).toMatch(/misconfigured/);
  });

  it('never shows the server text of an internal or unknown error', () => {
    for (const err of [
      new RpcError('SQLITE_CORRUPT at /var/lib/parley', 'internal'),
      new RpcError('weird', 'data_loss'),
      new Error('TypeError: cannot read x of undefined'),
      'a string',
    ]) {
      const { text } = describeForUser(err);
      expect(text).toBe('Something went wrong on my side. Please try again.');
    }
  });

  it('explains a timeout and a missing conversation', () => {
    expect(
      describeForUser(new RpcError('The operation was aborted due to timeout', 'cancelled')).text,
    ).toMatch(/too long/);
    expect(describeForUser(new RpcError('conversation not found', 'not_found')).text).toMatch(
      /no longer exists/,
    );
  });
});

describe('describeForUser and the client policy', () => {
  it('says a budget is used up and when it resets, not that messages come too fast', () => {
    const resetsAt = new Date(Date.now() + 3 * 3_600_000 - 60_000).toISOString();
    const err = new RpcError('daily token budget used up', 'resource_exhausted', {
      budget: 'daily_tokens',
      resets_at: resetsAt,
      retry_after: '10740',
    });
    expect(describeForUser(err).text).toBe(
      'You’ve used up today’s allowance. It resets in 3 hours. See /usage.',
    );
  });

  it('tells a blocked user and a refused model apart from a misconfigured bot', () => {
    const blocked = new RpcError('blocked', 'permission_denied', { blocked: 'true' });
    expect(describeForUser(blocked).text).toMatch(/isn’t available to you/);
    const model = new RpcError('no', 'permission_denied', { allowed_models: 'a,b' });
    expect(describeForUser(model).text).toMatch(/See \/model/);
    expect(describeForUser(new RpcError('no', 'permission_denied')).text).toMatch(/misconfigured/);
  });
});

describe('durations', () => {
  it('rounds waits up to seconds, minutes or hours', () => {
    expect(en.duration(0.2)).toBe('1 second');
    expect(en.duration(89)).toBe('89 seconds');
    expect(en.duration(600)).toBe('10 minutes');
    expect(en.duration(7_200)).toBe('2 hours');
  });

  it('says them in Russian with the right plural forms', () => {
    const ru = textsFor('ru');
    expect([1, 2, 5, 21, 42].map((s) => ru.duration(s))).toEqual([
      '1 секунду',
      '2 секунды',
      '5 секунд',
      '21 секунду',
      '42 секунды',
    ]);
    const err = new RpcError('rate limited', 'resource_exhausted', { retry_after: '600' });
    expect(describeIn(err, ru).text).toBe(
      'Вы пишете быстрее, чем я успеваю отвечать. Подождите 10 минут и попробуйте снова.',
    );
  });
});
