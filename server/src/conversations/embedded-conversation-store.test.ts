import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { describeConversationStore } from './conversation-store.contract.ts';
import type { Owner } from './conversation-store.ts';
import { EmbeddedConversationStore } from './embedded-conversation-store.ts';
import { aroundStatements, useEmbeddedStoreFile } from './testing/embedded-store-file.ts';

describeConversationStore('EmbeddedConversationStore', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'parley-store-'));
  const store = new EmbeddedConversationStore({ path: join(dir, 'conversations.db') });
  return { store, cleanup: () => rm(dir, { recursive: true, force: true }) };
});

describe('EmbeddedConversationStore on SQLite', () => {
  const owner: Owner = { clientId: 'cli', userId: 'ada' };
  const file = useEmbeddedStoreFile(join('nested', 'data', 'conversations.db'));
  const open = (clock?: () => Date): EmbeddedConversationStore => file.open({ clock });

  it('creates the directory and keeps data across close and reopen', async () => {
    const first = open();
    const created = await first.create({ owner, title: 'Plans', platform: 'telegram', chatId: '42' });
    const message = await first.append(created.id, {
      role: 'assistant',
      content: 'Sunny',
      toolCalls: [{ id: 't1', name: 'get_weather', arguments: '{}', result: '20°C', isError: false }],
    });
    await first.close();

    const second = open();
    const reopened = await second.get(created.id, owner);
    expect(reopened).toEqual({ ...created, messageCount: 1, updatedAt: reopened?.updatedAt });
    expect(await second.recentMessages(created.id, 5)).toEqual([message]);
    expect((await second.append(created.id, { role: 'user', content: 'Thanks' })).seq).toBe(2);
  });

  it('uses WAL and records the schema version', async () => {
    await open().close();
    const db = new Database(file.path(), { readonly: true });
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('user_version', { simple: true })).toBe(4);
    } finally {
      db.close();
    }
  });

  it('refuses a database written by a newer schema', async () => {
    await open().close();
    const db = new Database(file.path());
    db.pragma('user_version = 99');
    db.close();
    expect(() => open()).toThrow(expect.objectContaining({ code: 'failed_precondition' }));
  });

  it('numbers appends from several connections to one file without a gap or a duplicate', async () => {
    // Each connection stands for a server process of a WORKERS > 1 pool sharing DATA_DIR.
    const [a, b] = [open(), open()];
    const { id } = await a.create({ owner, title: 'shared', platform: '', chatId: '' });
    const appended = await Promise.all(
      Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).append(id, { role: 'user', content: `m${i}` })),
    );
    expect(appended.map((m) => m.seq).sort((x, y) => x - y)).toEqual(
      Array.from({ length: 40 }, (_, i) => i + 1),
    );
    expect((await b.get(id, owner))?.messageCount).toBe(40);
  });

  it('waits for another process’s write lock without blocking the event loop, then appends once', async () => {
    const store = open();
    const { id } = await store.create({ owner, title: 'locked', platform: '', chatId: '' });
    // Another process of the pool in the middle of a write.
    const other = new Database(file.path());
    other.exec('BEGIN IMMEDIATE');
    let appended = false;
    const pending = store.append(id, { role: 'user', content: 'waited' }).then((m) => {
      appended = true;
      return m;
    });
    // Timers keep running while the append waits (the thread is not asleep in SQLite's busy handler).
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setTimeout(resolve, 0));
    expect(appended).toBe(false);
    other.exec('COMMIT');
    other.close();
    expect((await pending).seq).toBe(1);
    expect((await store.recentMessages(id, 10)).map((m) => m.content)).toEqual(['waited']);
  });

  it('never moves updatedAt backwards when the clock does', async () => {
    const times = [10_000, 10_000, 5_000, 5_000];
    const store = open(() => new Date(times.shift() ?? 20_000));
    const a = await store.create({ owner, title: 'a', platform: '', chatId: '' });
    const b = await store.create({ owner, title: 'b', platform: '', chatId: '' });
    await store.append(a.id, { role: 'user', content: 'late clock' });
    expect((await store.get(a.id, owner))?.updatedAt.getTime()).toBe(10_000);
    const listed = await store.list(owner, { limit: 10 });
    expect(listed.map((c) => c.updatedAt.getTime())).toEqual([10_000, 10_000]);
    expect(new Set(listed.map((c) => c.id))).toEqual(new Set([a.id, b.id]));
  });

  it('reads only the window of a 10,000-message conversation', async () => {
    const store = open();
    const created = await store.create({ owner, title: 'Long', platform: '', chatId: '' });
    for (let i = 1; i <= 10_000; i++) await store.append(created.id, { role: 'user', content: `m${i}` });

    const executed = spyOnStatements();
    const recent = await store.recentMessages(created.id, 20);

    expect(recent.map((m) => m.seq)).toEqual(Array.from({ length: 20 }, (_, i) => 9_981 + i));
    // The conversation's last_seq, then the window (appends alone keep none in memory).
    expect(executed.map((e) => e.rows)).toEqual([1, 20]);
    // Read again at the same last_seq: from memory.
    expect(await store.recentMessages(created.id, 20)).toEqual(recent);
    expect(executed.map((e) => e.rows)).toEqual([1, 20, 1]);
    const plan = queryPlan(executed[1]?.source ?? '');
    expect(plan).toEqual([expect.stringMatching(/^SEARCH messages USING (INDEX|PRIMARY KEY)/)]);
  });

  it('answers every lookup from an index, without scans or sorting', async () => {
    const store = open();
    const created = await store.create({ owner, title: 'Indexed', platform: 'telegram', chatId: '42' });
    await store.append(created.id, { role: 'user', content: 'Hi' });
    const executed = spyOnStatements();

    await store.get(created.id, owner);
    await store.append(created.id, { role: 'assistant', content: 'Hello' });
    await store.messages(created.id, { afterSeq: 1, limit: 10 });
    await store.recentMessages(created.id, 10);
    await store.list(owner, { limit: 10 });
    await store.list(owner, { limit: 10, after: { updatedAt: created.updatedAt, id: created.id } });
    await store.latestForChat(owner, 'telegram', '42', new Date(0));
    await store.setTitle(created.id, 'Renamed');
    await store.delete(created.id, owner);

    const lookups = executed.filter((e) => !e.source.trimStart().startsWith('INSERT'));
    expect(lookups.length).toBeGreaterThanOrEqual(10);
    for (const { source } of lookups) {
      for (const step of queryPlan(source)) {
        expect(step, source).toMatch(/^SEARCH /);
        expect(step, source).not.toMatch(/TEMP B-TREE/);
      }
    }
  });

  it('stores a new conversation and its first message in one transaction, the row written once', async () => {
    const store = open();
    const executed = spyOnStatements();
    const { conversation, message } = await store.createWithMessage(
      { owner, title: 'One commit', platform: '', chatId: '' },
      { role: 'user', content: 'Hi' },
    );
    const sources = executed.map((e) => e.source.trim().split(/\s+/)[0]);
    expect(sources).toEqual(['BEGIN', 'INSERT', 'INSERT', 'COMMIT']);
    expect(conversation.messageCount).toBe(1);
    expect(message.seq).toBe(1);
    expect((await store.get(conversation.id, owner))?.messageCount).toBe(1);
    // The row's last_seq counts the first message: the next one follows it.
    const next = await store.append(conversation.id, { role: 'assistant', content: 'Hello' });
    expect(next.seq).toBe(2);
    expect((await store.recentMessages(conversation.id, 10)).map((m) => [m.seq, m.content])).toEqual([
      [1, 'Hi'],
      [2, 'Hello'],
    ]);
  });

  /** Records every statement run through better-sqlite3 and how many rows it returned. */
  function spyOnStatements(): { source: string; rows: number }[] {
    const executed: { source: string; rows: number }[] = [];
    aroundStatements(['all', 'get', 'run', 'iterate'], (statement, call, method) => {
      const result = call();
      const rows = Array.isArray(result) ? result.length : method === 'get' && result !== undefined ? 1 : 0;
      executed.push({
        source: statement.source,
        rows: method === 'iterate' ? Number.POSITIVE_INFINITY : rows,
      });
      return result;
    });
    return executed;
  }

  /** The EXPLAIN QUERY PLAN details of `sql`, on a separate connection to the same file. */
  function queryPlan(sql: string): string[] {
    const db = new Database(file.path(), { readonly: true });
    try {
      const params = Array.from(sql.matchAll(/\?/g), () => null);
      return db
        .prepare<unknown[], { detail: string }>(`EXPLAIN QUERY PLAN ${sql}`)
        .all(...params)
        .map((row) => row.detail);
    } finally {
      db.close();
    }
  }
});
