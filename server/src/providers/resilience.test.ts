import { Writable } from 'node:stream';
import { createLogger } from '@parley/logger';
import { isBrokenCircuitError } from 'cockatiel';
import { describe, expect, it, vi } from 'vitest';
import { type BreakerState, createResilience } from './resilience.ts';

class Transient extends Error {}
const isTransient = (err: unknown) => err instanceof Transient;

describe('createResilience', () => {
  it('counts every attempt against the breaker and does not retry an open circuit', async () => {
    const states: BreakerState[] = [];
    const policy = createResilience({
      name: 'probe',
      isTransient,
      retries: 3,
      backoff: { initialDelayMs: 1, maxDelayMs: 1 },
      breaker: { threshold: 2 },
      onBreakerStateChange: (state) => states.push(state),
    });
    let attempts = 0;
    const failing = async () => {
      attempts++;
      throw new Transient();
    };
    // Retry wraps the breaker: the second failed attempt opens it, and the open circuit ends the retries.
    const error = await policy.execute(failing).catch((err: unknown) => err);
    expect(isBrokenCircuitError(error)).toBe(true);
    expect(attempts).toBe(2);
    expect(states).toEqual(['open']);
    expect(policy.breakerState).toBe('open');
  });

  it('neither retries nor counts a failure that is not transient', async () => {
    const policy = createResilience({ name: 'probe', isTransient, retries: 3, breaker: { threshold: 1 } });
    let attempts = 0;
    const rejected = async () => {
      attempts++;
      throw new Error('bad request');
    };
    await expect(policy.execute(rejected)).rejects.toThrow('bad request');
    expect(attempts).toBe(1);
    expect(policy.breakerState).toBe('closed');
  });

  it('gives each attempt a deadline when one is set', async () => {
    const policy = createResilience({ name: 'probe', isTransient, retries: 0, attemptTimeoutMs: 20 });
    const seen = await policy.execute(
      (signal) => new Promise<boolean>((resolve) => signal.addEventListener('abort', () => resolve(true))),
    );
    expect(seen).toBe(true);
  });

  it('rejects as soon as the caller aborts, even while waiting to retry', async () => {
    const logged: string[] = [];
    const destination = new Writable({ write: (chunk, _, done) => done(void logged.push(String(chunk))) });
    const policy = createResilience({
      name: 'probe',
      isTransient,
      retries: 1,
      backoff: { initialDelayMs: 60_000, maxDelayMs: 60_000 },
      logger: createLogger({ name: 'test', level: 'debug', pretty: false, destination }),
    });
    const caller = new AbortController();
    const call = policy.execute(async () => {
      throw new Transient();
    }, caller.signal);
    call.catch(() => {});
    // The caller leaves once the 60 s wait has begun (the policy logs it): served out, it would time out.
    await vi.waitFor(() => expect(logged.join('')).toContain('"msg":"retrying"'), { timeout: 5_000 });
    caller.abort(new Error('left'));
    await expect(call).rejects.toThrow('left');
  });
});
