import { expect, it } from 'vitest';
import { nextMillisecond, range, type StoreContractContext } from './store-contract-context.ts';

/** Contract cases for messages: numbering, round-tripping, reading back, and appends racing a delete. */
export function defineMessageCases(t: StoreContractContext): void {
  it('appends with increasing seq from 1 and bumps messageCount and updatedAt', async () => {
    const owner = t.owner();
    const created = await t.create();
    await nextMillisecond();
    const first = await t.store().append(created.id, { role: 'user', content: 'Hi' });
    const second = await t.store().append(created.id, { role: 'assistant', content: 'Hello!' });
    expect(first).toMatchObject({
      conversationId: created.id,
      seq: 1,
      role: 'user',
      content: 'Hi',
      toolCalls: [],
    });
    expect(second.seq).toBe(2);
    expect(first.id).not.toBe(second.id);
    const after = await t.store().get(created.id, owner);
    expect(after?.messageCount).toBe(2);
    expect(after?.updatedAt.getTime()).toBeGreaterThan(created.updatedAt.getTime());
    expect(after?.updatedAt.getTime()).toBeGreaterThanOrEqual(second.createdAt.getTime());
    expect(after?.createdAt).toEqual(created.createdAt);
  });

  it('rejects an append to a missing conversation with not_found', async () => {
    await expect(
      t.store().append('no-such-conversation', { role: 'user', content: 'Hi' }),
    ).rejects.toMatchObject({
      code: 'not_found',
    });
    await expect(
      t.store().append(await t.deletedId(), { role: 'user', content: 'Hi' }),
    ).rejects.toMatchObject({
      code: 'not_found',
    });
  });

  it('round-trips tool calls', async () => {
    const created = await t.create();
    const toolCalls = [
      {
        id: 'call-1',
        name: 'get_weather',
        arguments: '{"location":"Oslo"}',
        result: '3°C, snow',
        isError: false,
      },
      { id: 'call-2', name: 'get_holidays', arguments: '{}', result: 'provider down', isError: true },
    ];
    const appended = await t.store().append(created.id, { role: 'assistant', content: '', toolCalls });
    expect(appended.toolCalls).toEqual(toolCalls);
    expect(await t.store().recentMessages(created.id, 10)).toEqual([appended]);
  });

  it('marks interrupted replies and only those', async () => {
    const created = await t.create();
    const partial = await t.store().append(created.id, {
      role: 'assistant',
      content: 'It is 18',
      interrupted: true,
    });
    const whole = await t.store().append(created.id, { role: 'assistant', content: 'done' });
    expect(partial.interrupted).toBe(true);
    expect(whole).not.toHaveProperty('interrupted');
    const stored = await t.store().recentMessages(created.id, 10);
    expect(stored).toEqual([partial, whole]);
    expect(stored[0]?.interrupted).toBe(true);
  });

  it('returns the newest messages oldest first', async () => {
    const created = await t.create();
    await t.appendMany(created.id, 10);
    const recent = await t.store().recentMessages(created.id, 3);
    expect(recent.map((m) => m.seq)).toEqual([8, 9, 10]);
    expect(recent.map((m) => m.content)).toEqual(['message 8', 'message 9', 'message 10']);
    const all = await t.store().recentMessages(created.id, 50);
    expect(all.map((m) => m.seq)).toEqual(range(1, 10));
    expect(await t.store().recentMessages(created.id, 0)).toEqual([]);
  });

  it('pages messages by afterSeq', async () => {
    const created = await t.create();
    await t.appendMany(created.id, 5);
    const page = async (afterSeq: number) =>
      (await t.store().messages(created.id, { afterSeq, limit: 2 })).map((m) => m.seq);
    expect(await page(0)).toEqual([1, 2]);
    expect(await page(2)).toEqual([3, 4]);
    expect(await page(4)).toEqual([5]);
    expect(await page(5)).toEqual([]);
    expect(await t.store().messages(created.id, { afterSeq: 0, limit: 0 })).toEqual([]);
  });

  it('numbers 50 concurrent appends 1 to 50 without gaps', async () => {
    const owner = t.owner();
    const created = await t.create();
    const appended = await Promise.all(
      range(1, 50).map((i) => t.store().append(created.id, { role: 'user', content: `message ${i}` })),
    );
    expect(appended.map((m) => m.seq).sort((a, b) => a - b)).toEqual(range(1, 50));
    const stored = await t.store().messages(created.id, { afterSeq: 0, limit: 100 });
    expect(stored.map((m) => m.seq)).toEqual(range(1, 50));
    expect(new Set(stored.map((m) => m.content)).size).toBe(50);
    expect((await t.store().get(created.id, owner))?.messageCount).toBe(50);
  });

  it('leaves no messages behind when deleted during appends', async () => {
    const owner = t.owner();
    const created = await t.create();
    const appends = range(1, 20).map((i) => t.store().append(created.id, { role: 'user', content: `m${i}` }));
    const deleted = t.store().delete(created.id, owner);
    const results = await Promise.allSettled([...appends, deleted]);
    for (const result of results) {
      if (result.status === 'rejected') expect(result.reason).toMatchObject({ code: 'not_found' });
    }
    expect(await deleted).toBe(true);
    expect(await t.store().get(created.id, owner)).toBeNull();
    expect(await t.store().recentMessages(created.id, 100)).toEqual([]);
  });
}
