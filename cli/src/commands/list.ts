import { type Conversation, ListConversationsResponse } from '@parley/rpc';
import { formatConversationTable } from '../conversations/conversation-format.ts';
import type { CommandContext } from '../io/command-context.ts';
import { ExitCode } from '../io/exit-codes.ts';
import { writeJson, writeLine } from '../io/output.ts';

export interface ListOptions {
  /** Page size: how many conversations to show, or to fetch per call with `all`. */
  limit?: number;
  /** Follow `next_page_token` to the end. */
  all?: boolean;
  json?: boolean;
}

const DEFAULT_LIMIT = 20;
const MAX_PAGE = 100;

/** `parley list`: the caller's conversations, most recently updated first. */
export async function runList(ctx: CommandContext, options: ListOptions): Promise<number> {
  const { conversations, nextPageToken } = await fetchConversations(ctx, options);
  const { stdout, stderr } = ctx.io;
  if (options.json) {
    writeJson(stdout, ListConversationsResponse.toJson({ conversations, nextPageToken }));
    return ExitCode.ok;
  }
  if (conversations.length === 0) {
    writeLine(stderr, 'no conversations yet: start one with parley chat');
    return ExitCode.ok;
  }
  writeLine(stdout, formatConversationTable(conversations));
  if (nextPageToken) writeLine(stderr, 'more conversations: parley list --all');
  return ExitCode.ok;
}

async function fetchConversations(
  ctx: CommandContext,
  options: ListOptions,
): Promise<ListConversationsResponse> {
  const pageSize = options.limit ?? (options.all ? MAX_PAGE : DEFAULT_LIMIT);
  const conversations: Conversation[] = [];
  let pageToken = '';
  for (;;) {
    const page = await ctx.client.listConversations({ session: ctx.session, pageSize, pageToken });
    conversations.push(...page.conversations);
    // A token that does not move would loop forever; treat it as the end.
    if (!options.all || !page.nextPageToken || page.nextPageToken === pageToken) {
      return { conversations, nextPageToken: options.all ? '' : page.nextPageToken };
    }
    pageToken = page.nextPageToken;
  }
}
