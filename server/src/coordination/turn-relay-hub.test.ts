import { createLogger } from '@parley/logger';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ToWorker } from './cluster-relay-messages.ts';
import { ClusterTurnRelay } from './cluster-turn-relay.ts';
import { startMemoryPool } from './testing/memory-pool.ts';
import { TurnRelayHub, type TurnRelayHubOptions } from './turn-relay-hub.ts';

// The hub and the workers' relays in one process (startMemoryPool). Real processes:
// tests/integration/workers-reattach.test.ts.

const logger = createLogger({ name: 'test', level: 'silent', pretty: false });
const startPool = (workers: number[], options: Omit<TurnRelayHubOptions, 'transport'> = {}) =>
  startMemoryPool(workers, { ...options, logger });

/** A reader of `key` on `relay`, taking events one at a time. */
function reader(relay: ClusterTurnRelay, key: string, idleMs = 60_000) {
  const controller = new AbortController();
  const events = relay.read(key, { signal: controller.signal, idleMs });
  return {
    next: async () => (await events.next()).value as string | undefined,
    /** Every event until the read ends. */
    async rest() {
      const seen: string[] = [];
      for await (const event of events) seen.push(event);
      return seen;
    },
    /** The client left: the reader stops at once, as the engine's `for await` does. */
    stop() {
      controller.abort();
      void events.return(undefined);
    },
  };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('TurnRelayHub with ClusterTurnRelay workers', () => {
  it('carries nothing for a turn that nobody follows from another worker', async () => {
    const pool = startPool([1, 2]);
    const offer = pool.relay(1).offer('turn', () => ['started']);
    offer.withdraw();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(pool.sent.get(1)).toEqual([]);
  });

  it('replays a turn’s events so far to a reader on another worker, then the rest as they are published', async () => {
    const pool = startPool([1, 2]);
    const owner = pool.relay(1);
    const offer = owner.offer('turn', () => ['started', 'delta 1-3']);
    const follower = reader(pool.relay(2), 'turn');
    expect([await follower.next(), await follower.next()]).toEqual(['started', 'delta 1-3']);
    await owner.publish('turn', ['delta 4']);
    expect(await follower.next()).toBe('delta 4');
    await owner.publish('turn', ['delta 5', 'done']);
    expect([await follower.next(), await follower.next()]).toEqual(['delta 5', 'done']);
    offer.withdraw();
    follower.stop();
    expect(await follower.next()).toBeUndefined();
  });

  it('serves a later reader from its own log after the turn ended, until the TTL after the last event', async () => {
    const pool = startPool([1, 2, 3], { ttlMs: 60_000 });
    const owner = pool.relay(1);
    const offer = owner.offer('turn', () => ['started']);
    const first = reader(pool.relay(2), 'turn');
    expect(await first.next()).toBe('started');
    await owner.publish('turn', ['done']);
    expect(await first.next()).toBe('done');
    first.stop();
    offer.withdraw();
    await vi.advanceTimersByTimeAsync(30_000);
    const late = reader(pool.relay(3), 'turn');
    expect([await late.next(), await late.next()]).toEqual(['started', 'done']);
    late.stop();
    await vi.advanceTimersByTimeAsync(60_000);
    // Forgotten, and nobody runs the turn any more: the read ends at once (the turn's record answers).
    expect(await reader(pool.relay(3), 'turn').rest()).toEqual([]);
  });

  it('ends a reader at once when no worker runs the turn', async () => {
    const pool = startPool([1, 2]);
    expect(await reader(pool.relay(2), 'finished just now').rest()).toEqual([]);
  });

  it('ends the readers of a turn whose worker died', async () => {
    const pool = startPool([1, 2]);
    pool.relay(1).offer('turn', () => ['started']);
    const follower = reader(pool.relay(2), 'turn');
    expect(await follower.next()).toBe('started');
    pool.kill(1);
    expect(await follower.rest()).toEqual([]);
  });

  it('ends its readers and fails its questions once the primary is gone', async () => {
    const pool = startPool([1, 2]);
    pool.relay(1).offer('turn', () => ['started']);
    const follower = reader(pool.relay(2), 'turn');
    expect(await follower.next()).toBe('started');
    const asked = pool.relay(2).attended('turn');
    pool.disconnect(2);
    expect(await follower.rest()).toEqual([]);
    await expect(asked).rejects.toThrow('no cluster primary');
    expect(await reader(pool.relay(2), 'other').rest()).toEqual([]);
  });

  it('ends a reader that hears nothing for idleMs', async () => {
    const pool = startPool([1, 2]);
    pool.relay(1).offer('turn', () => ['started']);
    const follower = reader(pool.relay(2), 'turn', 5_000);
    expect(await follower.next()).toBe('started');
    const rest = follower.rest();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(await rest).toEqual([]);
  });

  it('replays a turn once: a reader after its log was dropped learns that nothing follows', async () => {
    const pool = startPool([1, 2], { ttlMs: 10_000 });
    pool.relay(1).offer('turn', () => ['started']);
    const first = reader(pool.relay(2), 'turn');
    expect(await first.next()).toBe('started');
    first.stop();
    await first.rest();
    await vi.advanceTimersByTimeAsync(15_000);
    expect(await reader(pool.relay(2), 'turn').rest()).toEqual([]);
  });
});

describe('TurnRelayHub on its own', () => {
  it('ends the readers of a turn when a worker never answers within askMs', async () => {
    const sent: Array<[number, ToWorker]> = [];
    const hub = new TurnRelayHub({
      askMs: 5_000,
      transport: { send: (worker, message) => sent.push([worker, message]), workers: () => [1, 2, 3] },
    });
    hub.receive(2, { op: 'read', key: 'turn', reader: 9 });
    hub.receive(3, { op: 'none', key: 'turn' });
    // Every other worker is asked; the reader's own is not.
    expect(sent.map(([worker, m]) => [worker, m.op])).toEqual([
      [1, 'want'],
      [3, 'want'],
    ]);
    await vi.advanceTimersByTimeAsync(4_000);
    expect(sent).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(4_000);
    expect(sent.at(-1)).toEqual([2, { type: 'parley:turn-relay', op: 'gone', reader: 9 }]);
    hub.close();
  });
});

describe('TurnRelayHub attendance', () => {
  it('is attended while a listener on another worker renews its mark, and not after it leaves', async () => {
    const pool = startPool([1, 2], { attendMs: 3_000 });
    const owner = pool.relay(1);
    expect(await owner.attended('turn')).toBe(false);
    const mark = pool.relay(2).attend('turn');
    await vi.advanceTimersByTimeAsync(0);
    expect(await owner.attended('turn')).toBe(true);
    // Renewed every second: still attended long after one mark's 3 s.
    await vi.advanceTimersByTimeAsync(10_000);
    expect(await owner.attended('turn')).toBe(true);
    mark.leave();
    await vi.advanceTimersByTimeAsync(0);
    expect(await owner.attended('turn')).toBe(false);
  });

  it('forgets a mark that is not renewed within attendMs', async () => {
    const pool = startPool([1, 2], { attendMs: 3_000 });
    pool.hub.receive(2, { op: 'attend', key: 'turn', mark: 7 });
    expect(await pool.relay(1).attended('turn')).toBe(true);
    await vi.advanceTimersByTimeAsync(3_000);
    expect(await pool.relay(1).attended('turn')).toBe(false);
  });

  it('forgets the marks of a worker that dies', async () => {
    const pool = startPool([1, 2]);
    pool.relay(2).attend('turn');
    await vi.advanceTimersByTimeAsync(0);
    expect(await pool.relay(1).attended('turn')).toBe(true);
    pool.kill(2);
    expect(await pool.relay(1).attended('turn')).toBe(false);
  });

  it('rejects when the primary does not answer', async () => {
    const relay = new ClusterTurnRelay({
      logger,
      askTimeoutMs: 1_000,
      channel: { send: () => undefined, onMessage: () => () => undefined, onClose: () => () => undefined },
    });
    const asked = relay.attended('turn');
    const outcome = expect(asked).rejects.toThrow('did not answer');
    await vi.advanceTimersByTimeAsync(1_000);
    await outcome;
  });
});

describe('TurnRelayHub bounds', () => {
  it('drops a log longer than maxEvents: its reader keeps the live events, a new reader gets none', async () => {
    const pool = startPool([1, 2, 3], { maxEvents: 3 });
    const owner = pool.relay(1);
    owner.offer('turn', () => ['started', 'a']);
    const follower = reader(pool.relay(2), 'turn');
    expect([await follower.next(), await follower.next()]).toEqual(['started', 'a']);
    await owner.publish('turn', ['b', 'c']);
    await owner.publish('turn', ['d']);
    expect([await follower.next(), await follower.next(), await follower.next()]).toEqual(['b', 'c', 'd']);
    expect(await reader(pool.relay(3), 'turn').rest()).toEqual([]);
  });

  it('drops the least recently written logs beyond maxChars in total', async () => {
    const pool = startPool([1, 2], { maxChars: 25 });
    const owner = pool.relay(1);
    owner.offer('old', () => ['0123456789']);
    owner.offer('new', () => ['0123456789']);
    const follower = pool.relay(2);
    const old = reader(follower, 'old');
    expect(await old.next()).toBe('0123456789');
    old.stop();
    await old.rest();
    const recent = reader(follower, 'new');
    expect(await recent.next()).toBe('0123456789');
    await owner.publish('new', ['0123456789']);
    expect(await recent.next()).toBe('0123456789');
    // 30 characters kept: the old turn's log (nobody reads it) went; the new one's stays.
    expect(await reader(follower, 'old').rest()).toEqual([]);
    const again = reader(follower, 'new');
    expect([await again.next(), await again.next()]).toEqual(['0123456789', '0123456789']);
  });
});
