import { describeRpcError } from '@parley/rpc';

/** The error a call was refused with, described, with its Twirp meta; throws when the call succeeded. */
export async function refusal(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (err) {
    return { ...describeRpcError(err), meta: (err as { meta?: Record<string, string> }).meta ?? {} };
  }
  throw new Error('expected the call to be refused');
}
