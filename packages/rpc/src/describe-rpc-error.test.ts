import { RpcError } from '@protobuf-ts/runtime-rpc';
import { describe, expect, it } from 'vitest';
import { describeRpcError } from './describe-rpc-error.ts';

describe('describeRpcError', () => {
  it('reports a refused connection as unreachable, however it arrives', () => {
    for (const err of [
      new RpcError('fetch failed'),
      new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:1') }),
      new RpcError('socket hang up', 'internal'),
    ]) {
      expect(describeRpcError(err)).toEqual({
        code: 'unreachable',
        title: 'cannot reach the Parley server',
        detail: 'cannot reach the Parley server',
      });
    }
  });

  it('reports a deadline that fired below Twirp as deadline_exceeded', () => {
    const err = new RpcError('The operation was aborted due to timeout', 'UNKNOWN');
    expect(describeRpcError(err).code).toBe('deadline_exceeded');
    expect(describeRpcError(new DOMException('timed out', 'TimeoutError')).code).toBe('deadline_exceeded');
  });

  it('reports a cancelled call as cancelled', () => {
    expect(describeRpcError(new RpcError('This operation was aborted', 'cancelled'))).toMatchObject({
      code: 'cancelled',
      detail: 'the call was cancelled',
    });
  });

  it('maps an HTML error page to a code by its HTTP status', () => {
    const page = (status: number) =>
      new RpcError(`received HTTP ${status}, unable to read response body as json`, 'internal');
    expect(describeRpcError(page(502)).code).toBe('unavailable');
    expect(describeRpcError(page(401)).code).toBe('unauthenticated');
    expect(describeRpcError(page(404)).code).toBe('bad_route');
  });

  it('keeps the server text as detail and out of the title', () => {
    const err = new RpcError('SQLITE_CORRUPT at /var/lib/parley', 'internal');
    expect(describeRpcError(err)).toEqual({
      code: 'internal',
      title: 'the server failed with an internal error',
      detail: 'SQLITE_CORRUPT at /var/lib/parley',
    });
  });

  it('reads retry_after, argument and max_chars from meta', () => {
    const limited = new RpcError('slow down', 'resource_exhausted', { retry_after: '2.5' });
    expect(describeRpcError(limited)).toMatchObject({ retryAfterSeconds: 2.5, title: /try again in 3 s/ });
    const long = new RpcError('too long', 'invalid_argument', { argument: 'message', max_chars: '4000' });
    expect(describeRpcError(long)).toMatchObject({ argument: 'message', maxChars: 4000 });
  });

  it('reads a used-up budget, a block and the allowed models from meta', () => {
    const budget = new RpcError('daily token budget used up', 'resource_exhausted', {
      budget: 'daily_tokens',
      resets_at: '2026-04-01T00:00:00.000Z',
      retry_after: '600',
    });
    expect(describeRpcError(budget)).toMatchObject({
      budget: 'daily_tokens',
      resetsAt: new Date('2026-04-01T00:00:00Z'),
      title: 'the daily token budget is used up; it resets at 2026-04-01T00:00Z',
    });
    const blocked = new RpcError('blocked', 'permission_denied', { blocked: 'true' });
    expect(describeRpcError(blocked)).toMatchObject({ blocked: true, title: /blocked/ });
    const model = new RpcError('no', 'permission_denied', { allowed_models: 'a,b' });
    expect(describeRpcError(model)).toMatchObject({
      allowedModels: ['a', 'b'],
      title: 'that model is not allowed (allowed: a, b)',
    });
  });

  it('does without max_chars, and never reads a limit from the text', () => {
    const err = new RpcError('message must be at most 8000 characters', 'invalid_argument', {
      argument: 'message',
    });
    const description = describeRpcError(err);
    expect(description.maxChars).toBeUndefined();
    expect(description.title).toBe('the message is empty or too long');
  });

  it('says an empty message is empty when the server says why (meta.reason)', () => {
    const err = new RpcError('message must not be empty', 'invalid_argument', {
      argument: 'message',
      reason: 'empty',
    });
    expect(describeRpcError(err)).toMatchObject({ reason: 'empty', title: 'the message is empty' });
  });

  it('ignores meta values that are not positive numbers', () => {
    const err = new RpcError('x', 'resource_exhausted', { retry_after: 'soon', max_chars: '-1' });
    const description = describeRpcError(err);
    expect(description.retryAfterSeconds).toBeUndefined();
    expect(description.maxChars).toBeUndefined();
  });

  it('describes an error that is not an RPC error as unknown, with its message as detail', () => {
    expect(describeRpcError(new Error('boom'))).toEqual({
      code: 'unknown',
      title: 'something went wrong',
      detail: 'boom',
    });
    expect(describeRpcError('a string').detail).toBe('unknown error');
  });
});
