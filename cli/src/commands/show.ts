import { DescribeConversationResponse } from '@parley/rpc';
import { describeAll, formatConversation } from '../conversations/conversation-format.ts';
import type { CommandContext } from '../io/command-context.ts';
import { ExitCode } from '../io/exit-codes.ts';
import { writeJson, writeLine } from '../io/output.ts';

export interface ShowOptions {
  json?: boolean;
}

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
