import { randomUUID } from 'node:crypto';
import { ContinueConversationResponse, StartConversationResponse } from '@parley/rpc';
import type { CommandContext } from '../command-context.ts';
import { UsageError } from '../errors.ts';
import { ExitCode } from '../exit-codes.ts';
import { startSpinner, writeJson, writeLine } from '../output.ts';

export interface AskOptions {
  /** Continue this conversation instead of starting a new one. */
  conversation?: string;
  json?: boolean;
}

/** `parley ask <message...>`: one message, one reply on stdout, the conversation id on stderr. */
export async function runAsk(ctx: CommandContext, words: string[], options: AskOptions): Promise<number> {
  const message = words.join(' ').trim();
  if (!message) throw new UsageError('the message is empty');
  const spinner = startSpinner(ctx.io, 'thinking…');
  let answer: Answer;
  try {
    answer = options.conversation
      ? await continueOne(ctx, message, options.conversation)
      : await startOne(ctx, message);
  } finally {
    spinner.stop();
  }
  writeLine(ctx.io.stderr, `conversation: ${answer.id}`);
  if (options.json) writeJson(ctx.io.stdout, answer.json);
  else writeLine(ctx.io.stdout, answer.reply);
  return ExitCode.ok;
}

interface Answer {
  id: string;
  reply: string;
  json: unknown;
}

async function startOne(ctx: CommandContext, message: string): Promise<Answer> {
  const resp = await ctx.client.startConversation({ message, session: ctx.session, requestId: randomUUID() });
  return {
    id: resp.conversation?.id ?? '',
    reply: resp.reply?.content ?? '',
    json: StartConversationResponse.toJson(resp),
  };
}

async function continueOne(ctx: CommandContext, message: string, conversationId: string): Promise<Answer> {
  const resp = await ctx.client.continueConversation({
    message,
    conversationId,
    session: ctx.session,
    requestId: randomUUID(),
  });
  return {
    id: resp.conversationId || conversationId,
    reply: resp.reply?.content ?? '',
    json: ContinueConversationResponse.toJson(resp),
  };
}
