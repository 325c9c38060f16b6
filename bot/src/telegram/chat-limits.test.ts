import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ChatLimits } from './chat-limits.ts';

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

/** Takes a slot for each id, recording when each was granted (ms from now). */
function takeAll(limits: ChatLimits, chatId: number, count: number): number[] {
  const start = Date.now();
  const granted: number[] = [];
  for (let i = 0; i < count; i++) void limits.take(chatId).then(() => granted.push(Date.now() - start));
  return granted;
}

describe('ChatLimits', () => {
  it('lets 20 messages a minute into a group, in order, and the rest as the window moves', async () => {
    const limits = new ChatLimits();
    const granted = takeAll(limits, -1, 22);
    await vi.advanceTimersByTimeAsync(0);
    expect(granted).toHaveLength(20);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(granted.slice(20)).toEqual([60_000, 60_000]);
  });

  it('spaces a private chat’s messages a second apart', async () => {
    const limits = new ChatLimits();
    const granted = takeAll(limits, 5, 3);
    await vi.advanceTimersByTimeAsync(3_000);
    expect(granted).toEqual([0, 1_000, 2_000]);
  });

  it('gives previews an even share of what the reserve leaves, and none while a message waits', async () => {
    const limits = new ChatLimits();
    expect(limits.tryPreview(-1)).toBe(0);
    // 18 preview slots a minute: the next one in 3.3 s.
    expect(limits.tryPreview(-1)).toBe(3_334);
    await vi.advanceTimersByTimeAsync(3_334);
    expect(limits.tryPreview(-1)).toBe(0);
    // Fill the window up to the reserve: previews stop, messages still go at once.
    const granted = takeAll(limits, -1, 16);
    await vi.advanceTimersByTimeAsync(0);
    expect(granted).toHaveLength(16);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(limits.tryPreview(-1)).toBeGreaterThan(0);
    const finals = takeAll(limits, -1, 2);
    await vi.advanceTimersByTimeAsync(0);
    expect(finals).toEqual([0, 0]);
  });

  it('holds previews back while a message waits for its turn', async () => {
    const limits = new ChatLimits();
    void limits.take(5);
    const waiting = takeAll(limits, 5, 1);
    await vi.advanceTimersByTimeAsync(500);
    expect(waiting).toEqual([]);
    await vi.advanceTimersByTimeAsync(600);
    expect(limits.tryPreview(5)).toBeGreaterThan(0);
    expect(waiting).toEqual([1_000]);
  });

  it('keeps all chats together to 30 a second, previews to 25', async () => {
    const limits = new ChatLimits();
    const start = Date.now();
    const granted: number[] = [];
    for (let chat = 1; chat <= 32; chat++)
      void limits.take(chat).then(() => granted.push(Date.now() - start));
    await vi.advanceTimersByTimeAsync(0);
    expect(granted).toHaveLength(30);
    expect(limits.tryPreview(99)).toBe(1_000);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(granted.slice(30)).toEqual([1_000, 1_000]);
  });

  it('pauses one chat for a 429’s retry_after, and no other', async () => {
    const limits = new ChatLimits();
    expect(limits.failed(-1, { code: 429, description: 'Too Many Requests', retryAfter: 7 })).toBe('paused');
    expect(limits.pausedFor(-1)).toBe(7_000);
    expect(limits.tryPreview(-1)).toBe(7_000);
    const paused = takeAll(limits, -1, 1);
    const other = takeAll(limits, -2, 1);
    await vi.advanceTimersByTimeAsync(7_000);
    expect(other).toEqual([0]);
    expect(paused).toEqual([7_000]);
    expect(limits.pausedFor(-1)).toBe(0);
  });

  it('marks a chat unreachable on a 403 or "chat not found" until it writes again, counting it once', async () => {
    const reasons: string[] = [];
    const limits = new ChatLimits({ onUnreachable: (reason) => reasons.push(reason) });
    const blocked = { code: 403, description: 'Forbidden: bot was blocked by the user' };
    expect(limits.failed(7, blocked)).toBe('unreachable');
    expect(limits.failed(7, blocked)).toBe('unreachable');
    expect(limits.failed(-3, { code: 400, description: 'Bad Request: chat not found' })).toBe('unreachable');
    expect(limits.failed(8, { code: 400, description: 'Bad Request: message is too long' })).toBeUndefined();
    expect(reasons).toEqual(['blocked', 'chat_not_found']);
    expect(await limits.take(7)).toBe(false);
    expect(limits.tryPreview(7)).toBe(Number.POSITIVE_INFINITY);
    limits.heardFrom(7);
    expect(await limits.take(7)).toBe(true);
  });
});
