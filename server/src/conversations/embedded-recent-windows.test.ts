import { describe, expect, it } from 'vitest';
import type { Owner, StoredMessage } from './conversation-store.ts';
import type { EmbeddedConversationStore } from './embedded-conversation-store.ts';
import { aroundStatements, useEmbeddedStoreFile } from './testing/embedded-store-file.ts';

// The newest messages the embedded store keeps in memory (recent-windows.ts): each store stands for one
// process of a WORKERS > 1 pool sharing the file; a store opened afresh reads everything from SQLite.
describe('EmbeddedConversationStore recent windows', () => {
  const owner: Owner = { clientId: 'cli', userId: 'ada' };
  const file = useEmbeddedStoreFile('conversations.db');
  const open = file.open;

  /** What SQLite holds, read by a store with nothing in memory. */
  const fresh = async (id: string, limit: number) => {
    const store = open();
    const read = await store.recentMessages(id, limit);
    await file.close(store);
    return read;
  };
  const conversation = (store: EmbeddedConversationStore) =>
    store.create({ owner, title: 't', platform: '', chatId: '' });
  const say = (store: EmbeddedConversationStore, id: string, content: string) =>
    store.append(id, { role: 'user', content });

  it('answers from memory after its own appends what SQLite holds', async () => {
    const store = open();
    const { id } = await conversation(store);
    for (let i = 1; i <= 70; i++) await say(store, id, `m${i}`);
    await store.recentMessages(id, 60);
    await store.append(id, {
      role: 'assistant',
      content: 'sunny',
      toolCalls: [{ id: 't', name: 'weather', arguments: '{}', result: '20°C', isError: false }],
    });
    await say(store, id, 'thanks');
    const reads = countWindowReads();
    const window = await store.recentMessages(id, 60);
    expect(reads.count).toBe(0);
    expect(window).toEqual(await fresh(id, 60));
    expect(window.map((m) => m.seq)).toEqual(Array.from({ length: 60 }, (_, i) => 13 + i));
    expect(await store.recentMessages(id, 5)).toEqual(await fresh(id, 5));
  });

  it('keeps a new conversation’s first message, and callers cannot change what it keeps', async () => {
    const store = open();
    const { conversation: created } = await store.createWithMessage(
      { owner, title: 't', platform: '', chatId: '' },
      { role: 'user', content: 'hi' },
    );
    const reads = countWindowReads();
    const first = await store.recentMessages(created.id, 60);
    expect(reads.count).toBe(0);
    first.pop();
    expect(await store.recentMessages(created.id, 60)).toEqual(await fresh(created.id, 60));
    expect(first).toEqual([]);
  });

  it('sees another process’s appends, before and after its own', async () => {
    const [a, b] = [open(), open()];
    const { id } = await conversation(a);
    await say(a, id, 'one');
    expect(await a.recentMessages(id, 60)).toHaveLength(1);
    await say(b, id, 'two');
    expect((await a.recentMessages(id, 60)).map((m) => m.content)).toEqual(['one', 'two']);
    await say(b, id, 'three');
    // A's window is now one behind its own next append: it must not be extended past the gap.
    await say(a, id, 'four');
    expect((await a.recentMessages(id, 60)).map((m) => m.content)).toEqual(['one', 'two', 'three', 'four']);
    expect(await a.recentMessages(id, 60)).toEqual(await fresh(id, 60));
  });

  it('returns nothing once another process deleted the conversation', async () => {
    const [a, b] = [open(), open()];
    const { id } = await conversation(a);
    await say(a, id, 'one');
    expect(await a.recentMessages(id, 60)).toHaveLength(1);
    expect(await b.delete(id, owner)).toBe(true);
    expect(await a.recentMessages(id, 60)).toEqual([]);
  });

  it('stays consistent through a failed append and a read between a commit and its bookkeeping', async () => {
    const store = open();
    const { id } = await conversation(store);
    await say(store, id, 'one');
    const kept = await store.recentMessages(id, 60);
    await expect(say(store, 'no-such-conversation', 'lost')).rejects.toMatchObject({ code: 'not_found' });
    expect(await store.recentMessages(id, 60)).toEqual(kept);
    // A write that fails after last_seq was bumped, inside the transaction: rolled back.
    failNextMessageInsert();
    await expect(say(store, id, 'lost')).rejects.toThrow('disk I/O');
    // Its seq goes to the next message: a window that had taken the lost one in would show it now.
    await say(store, id, 'two');
    expect((await store.recentMessages(id, 60)).map((m) => m.content)).toEqual(['one', 'two']);
    // The window update follows the append's commit (its promise): a read right after the COMMIT, before it.
    let between: Promise<StoredMessage[]> | undefined;
    afterNextCommit(() => {
      between = store.recentMessages(id, 60);
    });
    await say(store, id, 'three');
    expect((await between)?.map((m) => m.content)).toEqual(['one', 'two', 'three']);
    await say(store, id, 'four');
    expect(await store.recentMessages(id, 60)).toEqual(await fresh(id, 60));
  });

  it('answers correctly when its bounds leave a conversation out', async () => {
    const store = open({ windows: { maxConversations: 1 } });
    const [x, y] = [await conversation(store), await conversation(store)];
    await say(store, x.id, 'x1');
    await say(store, y.id, 'y1');
    await store.recentMessages(x.id, 60);
    await store.recentMessages(y.id, 60);
    const reads = countWindowReads();
    expect((await store.recentMessages(x.id, 60)).map((m) => m.content)).toEqual(['x1']);
    expect(reads.count).toBe(1);
    expect((await store.recentMessages(x.id, 60)).map((m) => m.content)).toEqual(['x1']);
    expect(reads.count).toBe(1);
  });
});

/** Counts the store's reads of a window from SQLite (its `all` calls on messages). */
function countWindowReads(): { count: number } {
  const reads = { count: 0 };
  aroundStatements(['all'], (statement, call) => {
    if (statement.source.includes('FROM messages')) reads.count++;
    return call();
  });
  return reads;
}

/** The next INSERT of a message fails as a full or broken disk would. */
function failNextMessageInsert(): void {
  const spy = aroundStatements(['run'], (statement, call) => {
    if (!statement.source.startsWith('INSERT INTO messages')) return call();
    spy.restore();
    throw Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR' });
  });
}

/** Runs `then` right after the next COMMIT, inside the write that committed. */
function afterNextCommit(then: () => void): void {
  const spy = aroundStatements(['run'], (statement, call) => {
    const result = call();
    if (statement.source === 'COMMIT') {
      spy.restore();
      then();
    }
    return result;
  });
}
