import type {
  ChatClient,
  Conversation,
  DescribeConversationResponse,
  Message,
  SessionMetadata,
} from '@parley/rpc';
import { formatMessage, formatTable, formatTime, shorten } from '../io/output.ts';

const PAGE_SIZE = 500;

/** DescribeConversation page after page, merged into one response with every message. */
export async function describeAll(
  client: ChatClient,
  conversationId: string,
  session: SessionMetadata,
): Promise<DescribeConversationResponse> {
  const messages: Message[] = [];
  let pageToken = '';
  for (;;) {
    const page = await client.describeConversation({
      conversationId,
      session,
      pageSize: PAGE_SIZE,
      pageToken,
    });
    messages.push(...page.messages);
    if (!page.nextPageToken || page.nextPageToken === pageToken) {
      return { conversation: page.conversation, messages, nextPageToken: '' };
    }
    pageToken = page.nextPageToken;
  }
}

/** A header (title, id, times, count) and the messages, oldest first, separated by blank lines. */
export function formatConversation(described: DescribeConversationResponse): string {
  const c = described.conversation;
  const header = c
    ? [
        `${c.title || '(untitled)'}  ${c.id}`,
        `created ${formatTime(c.createdAt)} · updated ${formatTime(c.updatedAt)} · ${c.messageCount} messages`,
      ].join('\n')
    : '';
  return [header, ...formatMessages(described.messages)].filter(Boolean).join('\n\n');
}

export function formatMessages(messages: Message[]): string[] {
  return messages.map(formatMessage);
}

/** Columns ID, UPDATED, MESSAGES, TITLE. */
export function formatConversationTable(conversations: Conversation[]): string {
  const rows = conversations.map((c) => [
    c.id,
    formatTime(c.updatedAt),
    String(c.messageCount),
    shorten(c.title, 60) || '(untitled)',
  ]);
  return formatTable(['ID', 'UPDATED', 'MESSAGES', 'TITLE'], rows);
}
