import { Conversation, ListConversationsResponse, Timestamp } from '@parley/rpc';
import { FakeChatClient } from '@parley/rpc/testing';
import { describe, expect, it } from 'vitest';
import { formatConversationTable } from '../conversations/conversation-format.ts';
import type { CommandContext } from '../io/command-context.ts';
import { cliSession } from '../io/command-context.ts';
import { testIo } from '../testing/test-io.ts';
import { runList } from './list.ts';

const at = (iso: string) => Timestamp.fromDate(new Date(iso));

function conversation(id: string, title: string, messageCount: number): Conversation {
  return Conversation.create({ id, title, messageCount, updatedAt: at('2025-03-04T05:06:07Z') });
}

describe('formatConversationTable', () => {
  it('aligns id, updated time, message count and title', () => {
    const table = formatConversationTable([
      conversation('c-1', 'Weather in Paris', 4),
      conversation('c-22222', '', 12),
    ]);
    const lines = table.split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe('ID       UPDATED           MESSAGES  TITLE');
    expect(lines[1]).toMatch(/^c-1 {6}\d{4}-\d\d-\d\d \d\d:\d\d {2}4 {9}Weather in Paris$/);
    expect(lines[2]).toMatch(/^c-22222 {2}\d{4}-\d\d-\d\d \d\d:\d\d {2}12 {8}\(untitled\)$/);
  });

  it('shortens long titles to one line', () => {
    const table = formatConversationTable([conversation('c', `a\nb ${'x'.repeat(100)}`, 1)]);
    const title = table.split('\n')[1]?.match(/a b x+…$/)?.[0];
    expect(title).toHaveLength(60);
  });
});

describe('runList', () => {
  function context(pages: ListConversationsResponse[]) {
    const t = testIo();
    let page = 0;
    const client = new FakeChatClient({
      listConversations: async () => pages[page++] ?? ListConversationsResponse.create(),
    });
    const ctx: CommandContext = { io: t.io, client, session: cliSession(t.io.env), serverUrl: 'http://x' };
    return { ctx, client, ...t };
  }
  const pages = [
    ListConversationsResponse.create({ conversations: [conversation('c1', 'one', 2)], nextPageToken: 'p2' }),
    ListConversationsResponse.create({ conversations: [conversation('c2', 'two', 2)], nextPageToken: '' }),
  ];

  it('shows one page and says there are more', async () => {
    const { ctx, client, stdout, stderr } = context(pages);
    await runList(ctx, { limit: 5 });
    expect(client.calls).toHaveLength(1);
    expect(client.calls[0]?.request).toMatchObject({ pageSize: 5, pageToken: '' });
    expect(stdout.text).toContain('c1');
    expect(stderr.text).toContain('parley list --all');
  });

  it('follows page tokens with --all', async () => {
    const { ctx, client, stdout } = context(pages);
    await runList(ctx, { all: true });
    expect(client.calls.map((c) => c.request.pageToken)).toEqual(['', 'p2']);
    expect(stdout.text).toMatch(/c1[\s\S]*c2/);
  });

  it('says so when there is nothing to list', async () => {
    const { ctx, stdout, stderr } = context([]);
    await runList(ctx, {});
    expect(stdout.text).toBe('');
    expect(stderr.text).toContain('no conversations yet');
  });
});
