import { describeRpcError } from '@parley/rpc';

/** The error a call fails with, described as clients see it, with its Twirp `meta`; throws if it succeeds. */
export async function rpcError(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (err) {
    return { ...describeRpcError(err), meta: (err as { meta?: Record<string, string> }).meta ?? {} };
  }
  throw new Error('expected the call to fail');
}
