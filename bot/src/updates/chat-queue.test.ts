import { createLogger } from '@parley/logger';
import { describe, expect, it, vi } from 'vitest';
import { ChatQueue } from './chat-queue.ts';

const logger = createLogger({ name: 'test', level: 'silent', pretty: false });

function deferred() {
  let resolve = () => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe('ChatQueue', () => {
  it('runs one chat’s tasks in order and other chats alongside', async () => {
    const queue = new ChatQueue({ logger, maxPendingPerChat: 10 });
    const log: string[] = [];
    const slow = deferred();
    queue.push('a', async () => {
      await slow.promise;
      log.push('a1');
    });
    queue.push('a', async () => {
      log.push('a2');
    });
    queue.push('b', async () => {
      log.push('b1');
    });
    // Chat b runs while chat a waits on its first task: a2 stays queued behind a1.
    await vi.waitFor(() => expect(log).toContain('b1'), { timeout: 5_000 });
    expect(log).toEqual(['b1']);
    slow.resolve();
    expect(await queue.drain(1_000)).toBe(true);
    expect(log).toEqual(['b1', 'a1', 'a2']);
  });

  it('keeps a chat going after a task fails', async () => {
    const queue = new ChatQueue({ logger, maxPendingPerChat: 10 });
    const log: string[] = [];
    queue.push('a', async () => {
      throw new Error('boom');
    });
    queue.push('a', async () => {
      log.push('after');
    });
    await queue.drain(1_000);
    expect(log).toEqual(['after']);
  });

  it('refuses a chat over its limit, saying so once until it catches up', async () => {
    const queue = new ChatQueue({ logger, maxPendingPerChat: 2 });
    const gate = deferred();
    const task = () => gate.promise;
    expect([task, task, task, task].map((t) => queue.push('a', t))).toEqual([
      'queued',
      'queued',
      'rejected',
      'rejected-again',
    ]);
    expect(queue.push('b', task)).toBe('queued');
    gate.resolve();
    await queue.drain(1_000);
    expect(queue.push('a', task)).toBe('queued');
  });

  it('gives up draining after the timeout', async () => {
    const queue = new ChatQueue({ logger, maxPendingPerChat: 2 });
    queue.push('a', () => new Promise(() => {}));
    expect(await queue.drain(20)).toBe(false);
    expect(queue.size).toBe(1);
  });
});
