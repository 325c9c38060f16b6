import { Conversation, DescribeConversationResponse, Message, Role, Timestamp, ToolCall } from '@parley/rpc';
import { FakeChatClient } from '@parley/rpc/testing';
import { describe, expect, it } from 'vitest';
import { formatConversation } from '../conversations/conversation-format.ts';
import { cliSession } from '../io/command-context.ts';
import { testIo } from '../testing/test-io.ts';
import { runShow } from './show.ts';

const createdAt = Timestamp.fromDate(new Date('2025-03-04T05:06:07Z'));

const weatherTurn = [
  Message.create({ id: 'm1', role: Role.USER, content: 'Weather in Paris?', createdAt }),
  Message.create({
    id: 'm2',
    role: Role.ASSISTANT,
    content: 'It is sunny, 21°C.',
    createdAt,
    toolCalls: [
      ToolCall.create({
        id: 't1',
        name: 'get_weather',
        arguments: '{"location":"Paris"}',
        result: `Sunny, 21°C, wind 5 km/h. ${'More detail. '.repeat(20)}`,
      }),
      ToolCall.create({
        id: 't2',
        name: 'get_holidays',
        arguments: '{}',
        result: 'provider down',
        isError: true,
      }),
    ],
  }),
];

describe('formatConversation', () => {
  it('prints the header, each message with its role, and tool calls under the assistant message', () => {
    const text = formatConversation(
      DescribeConversationResponse.create({
        conversation: Conversation.create({ id: 'c1', title: 'Paris weather', messageCount: 2, createdAt }),
        messages: weatherTurn,
      }),
    );
    const lines = text.split('\n');
    expect(lines[0]).toBe('Paris weather  c1');
    expect(lines[1]).toMatch(/^created \d{4}-\d\d-\d\d \d\d:\d\d · updated - · 2 messages$/);
    expect(text).toMatch(/\[you\] \d{4}-\d\d-\d\d \d\d:\d\d\nWeather in Paris\?/);
    expect(text).toMatch(
      /\[assistant\] [^\n]+\nIt is sunny, 21°C\.\n {2}↳ get_weather\(\{"location":"Paris"\}\) → Sunny/,
    );
    const weatherLine = lines.find((l) => l.includes('get_weather')) ?? '';
    expect(weatherLine.endsWith('…')).toBe(true);
    expect(weatherLine.length).toBeLessThan(130);
    expect(text).toContain('  ↳ get_holidays({}) → error: provider down');
  });

  it('marks a reply that was cut short', () => {
    const cut = Message.create({ role: Role.ASSISTANT, content: 'It is sun', createdAt, interrupted: true });
    const text = formatConversation(DescribeConversationResponse.create({ messages: [cut] }));
    expect(text).toMatch(/^\[assistant\] [^\n]+ \(interrupted\)\nIt is sun$/);
  });
});

describe('runShow', () => {
  it('reads every page of messages', async () => {
    const t = testIo();
    const client = new FakeChatClient({
      describeConversation: async (req) =>
        req.pageToken === ''
          ? DescribeConversationResponse.create({ messages: weatherTurn.slice(0, 1), nextPageToken: 'next' })
          : DescribeConversationResponse.create({ messages: weatherTurn.slice(1) }),
    });
    const ctx = { io: t.io, client, session: cliSession(t.io.env), serverUrl: 'http://x' };
    await runShow(ctx, 'c1', {});
    expect(client.calls.map((c) => c.request.pageToken)).toEqual(['', 'next']);
    expect(t.stdout.text).toMatch(/Weather in Paris\?[\s\S]*It is sunny/);
  });
});
