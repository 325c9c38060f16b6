import { describe, expect, it } from 'vitest';
import type { StoredMessage } from './conversation-store.ts';
import { MESSAGE_OVERHEAD, RecentWindows } from './recent-windows.ts';

function message(conversationId: string, seq: number, content = `m${seq}`): StoredMessage {
  return {
    id: `id-${seq}`,
    conversationId,
    seq,
    role: 'user',
    content,
    toolCalls: [],
    createdAt: new Date(seq),
  };
}

/** Messages `from`..`to` of `conversationId`, oldest first. */
function messages(conversationId: string, from: number, to: number): StoredMessage[] {
  return Array.from({ length: to - from + 1 }, (_, i) => message(conversationId, from + i));
}

const seqs = (list: StoredMessage[] | undefined) => list?.map((m) => m.seq);

describe('RecentWindows', () => {
  it('answers a limit it holds, newest messages, in a new array each time', () => {
    const windows = new RecentWindows();
    windows.fill('c', messages('c', 41, 100), 60);
    expect(seqs(windows.read('c', 100, 60))).toEqual(seqs(messages('c', 41, 100)));
    expect(seqs(windows.read('c', 100, 2))).toEqual([99, 100]);
    const first = windows.read('c', 100, 60) as StoredMessage[];
    first.splice(0, first.length);
    expect(windows.read('c', 100, 60)).toHaveLength(60);
  });

  it('does not answer more than it holds unless it holds the whole conversation', () => {
    const windows = new RecentWindows();
    windows.fill('partial', messages('partial', 9, 10), 2);
    expect(windows.read('partial', 10, 3)).toBeUndefined();
    windows.fill('whole', messages('whole', 1, 3), 60);
    expect(seqs(windows.read('whole', 3, 60))).toEqual([1, 2, 3]);
  });

  it('drops a window read at another last_seq', () => {
    const windows = new RecentWindows();
    windows.fill('c', messages('c', 1, 3), 60);
    expect(windows.read('c', 4, 60)).toBeUndefined();
    expect(windows.read('c', 3, 60)).toBeUndefined();
    expect(windows.size.conversations).toBe(0);
  });

  it('extends a window by the next message, keeps one already past it, drops one behind', () => {
    const windows = new RecentWindows();
    windows.started(message('c', 1));
    windows.appended(message('c', 2));
    expect(seqs(windows.read('c', 2, 60))).toEqual([1, 2]);
    windows.appended(message('c', 2));
    expect(seqs(windows.read('c', 2, 60))).toEqual([1, 2]);
    windows.appended(message('c', 4));
    expect(windows.size.conversations).toBe(0);
    windows.appended(message('other', 1));
    expect(windows.size.conversations).toBe(0);
  });

  it('keeps as many messages as the largest limit asked for', () => {
    const windows = new RecentWindows();
    windows.fill('c', messages('c', 1, 100), 100);
    windows.appended(message('c', 101));
    expect(seqs(windows.read('c', 101, 100))).toEqual(seqs(messages('c', 2, 101)));
    expect(windows.read('c', 101, 101)).toBeUndefined();
  });

  it('drops the least recently used conversation past the bound of conversations', () => {
    const windows = new RecentWindows({ maxConversations: 2 });
    windows.fill('a', messages('a', 1, 1), 60);
    windows.fill('b', messages('b', 1, 1), 60);
    windows.read('a', 1, 60);
    windows.fill('c', messages('c', 1, 1), 60);
    expect(windows.read('b', 1, 60)).toBeUndefined();
    expect(seqs(windows.read('a', 1, 60))).toEqual([1]);
    expect(seqs(windows.read('c', 1, 60))).toEqual([1]);
  });

  it('stays within its size, counting text and a cost per message', () => {
    const one = MESSAGE_OVERHEAD + 100;
    const windows = new RecentWindows({ maxChars: one * 16 });
    const long = (id: string, seq: number) => message(id, seq, 'x'.repeat(100));
    windows.fill('a', [long('a', 1), long('a', 2)], 60);
    expect(windows.size).toEqual({ conversations: 1, chars: 2 * one });
    for (let seq = 3; seq <= 20; seq++) windows.appended(long('a', seq));
    // Grown past the whole budget by appends: dropped.
    expect(windows.size).toEqual({ conversations: 0, chars: 0 });
    for (const id of ['b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'])
      windows.fill(id, [long(id, 1), long(id, 2)], 60);
    expect(windows.size).toEqual({ conversations: 8, chars: 16 * one });
    expect(windows.read('b', 2, 60)).toBeUndefined();
    // One window larger than an eighth of the budget is not kept at all.
    windows.fill(
      'k',
      messages('k', 1, 3).map((m) => ({ ...m, content: 'x'.repeat(200) })),
      60,
    );
    expect(windows.read('k', 3, 60)).toBeUndefined();
    expect(windows.size.conversations).toBe(8);
  });
});
