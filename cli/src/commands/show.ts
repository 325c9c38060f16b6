import type { ChatClient } from '@parley/rpc';
import { DescribeConversationResponse, type Message, type SessionMetadata } from '@parley/rpc';
import type { CommandContext } from '../command-context.ts';
import { ExitCode } from '../exit-codes.ts';
import { formatMessage, formatTime, writeJson, writeLine } from '../output.ts';

export interface ShowOptions {
  json?: boolean;
}

const PAGE_SIZE = 500;

/** `parley show <id>`: one conversation with all its messages. */
export async function runShow(
  ctx: CommandContext,
  conversationId: string,
  options: ShowOptions,
): Promise<number> {
  const described = await describeAll(ctx.client, conversationId, ctx.session);
  if (options.json) {
    writeJson(ctx.io.stdout, DescribeConversationResponse.toJson(described));
    return ExitCode.ok;
  }
  writeLine(ctx.io.stdout, formatConversation(described));
  return ExitCode.ok;
}

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
