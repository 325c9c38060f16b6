import { RpcError } from '@parley/rpc';
import { describe, expect, it } from 'vitest';
import { formatRpcError, isFatalInChat } from './errors.ts';

const hints = { serverUrl: 'http://127.0.0.1:8080' };

describe('formatRpcError', () => {
  it('tells where the server should be when it cannot be reached', () => {
    const line = formatRpcError(new RpcError('fetch failed', 'UNKNOWN'), hints);
    expect(line).toBe(
      'parley: cannot reach the Parley server (is the server running at http://127.0.0.1:8080? start it with npm start)',
    );
  });

  it('points at the API key when unauthenticated', () => {
    const line = formatRpcError(new RpcError('missing or invalid API key', 'unauthenticated'), hints);
    expect(line).toBe('parley: missing or invalid API key (set PARLEY_API_KEY or --api-key)');
  });

  it('names the conversation when it is not found', () => {
    const line = formatRpcError(new RpcError('not found', 'not_found'), { ...hints, conversationId: 'c9' });
    expect(line).toBe('parley: no conversation c9 (or it is not yours)');
  });

  it('says how long to wait when rate limited', () => {
    const err = new RpcError('too many requests', 'resource_exhausted', { retry_after: '7' });
    expect(formatRpcError(err, hints)).toBe('parley: too many requests (try again in 7s)');
  });

  it('never repeats internal error text', () => {
    const err = new RpcError(
      'TypeError: cannot read x of undefined\n    at handler (chat-service.ts:12)',
      'internal',
    );
    const line = formatRpcError(err, hints);
    expect(line).toBe('parley: the server failed with an internal error (see its log)');
  });

  it('keeps any message on one line', () => {
    const err = new RpcError('message too long:\nat most 4000 characters', 'invalid_argument');
    expect(formatRpcError(err, hints)).toBe('parley: message too long: at most 4000 characters');
  });

  it('treats only unreachable and unauthenticated as fatal in a chat', () => {
    expect(isFatalInChat(new RpcError('fetch failed', 'UNKNOWN'))).toBe(true);
    expect(isFatalInChat(new RpcError('bad key', 'unauthenticated'))).toBe(true);
    expect(isFatalInChat(new RpcError('model down', 'unavailable'))).toBe(false);
  });
});
