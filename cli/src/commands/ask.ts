import { randomUUID } from 'node:crypto';
import { type AttachmentUpload, ContinueConversationResponse, StartConversationResponse } from '@parley/rpc';
import type { CommandContext } from '../io/command-context.ts';
import { UsageError } from '../io/errors.ts';
import { ExitCode } from '../io/exit-codes.ts';
import { startSpinner, writeJson, writeLine } from '../io/output.ts';
import { readAttachments } from '../turn/attachment-files.ts';
import { runTurn } from '../turn/run-turn.ts';
import { createTurnView } from '../turn/turn-view.ts';

export interface AskOptions {
  /** Continue this conversation instead of starting a new one. */
  conversation?: string;
  /** Streamed: one TurnEvent per line. With `stream: false`: the whole response. */
  json?: boolean;
  /** False with `--no-stream`: wait for the whole reply. */
  stream?: boolean;
  /** Files to send with the message (`--attach`, repeatable). */
  attach?: string[];
}

/**
 * `parley ask <message...>`: one message, the reply on stdout as it is written, the conversation id on
 * stderr. Ctrl-C cancels the reply (the server keeps what was written, marked interrupted).
 */
export async function runAsk(ctx: CommandContext, words: string[], options: AskOptions): Promise<number> {
  const message = words.join(' ').trim();
  const attachments = await readAttachments(options.attach);
  if (!message && attachments.length === 0) throw new UsageError('the message is empty');
  if (options.json && options.stream === false) {
    return askForJson(ctx, { message, attachments }, options.conversation);
  }
  const stop = new AbortController();
  // Only the first Ctrl-C cancels politely; the next one gets Node's default and ends the process.
  const unsubscribe = ctx.io.onInterrupt?.(() => {
    stop.abort();
    unsubscribe?.();
  });
  try {
    const view = createTurnView(ctx.io, { json: options.json === true });
    const request = { message, attachments, conversationId: options.conversation };
    const outcome = await runTurn(ctx, request, view, {
      stream: options.stream !== false,
      signal: stop.signal,
    });
    if (outcome.conversationId) writeLine(ctx.io.stderr, `conversation: ${outcome.conversationId}`);
    return outcome.interrupted ? ExitCode.interrupted : ExitCode.ok;
  } finally {
    unsubscribe?.();
  }
}

/** `--json --no-stream`: the unary response as one JSON document, as before streaming existed. */
async function askForJson(
  ctx: CommandContext,
  { message, attachments }: { message: string; attachments: AttachmentUpload[] },
  conversationId?: string,
): Promise<number> {
  const spinner = startSpinner(ctx.io, 'thinking…');
  const base = { message, attachments, session: ctx.session, requestId: randomUUID() };
  let id: string;
  let json: unknown;
  try {
    if (conversationId) {
      const resp = await ctx.client.continueConversation({ ...base, conversationId });
      [id, json] = [resp.conversationId || conversationId, ContinueConversationResponse.toJson(resp)];
    } else {
      const resp = await ctx.client.startConversation(base);
      [id, json] = [resp.conversation?.id ?? '', StartConversationResponse.toJson(resp)];
    }
  } finally {
    spinner.stop();
  }
  writeLine(ctx.io.stderr, `conversation: ${id}`);
  writeJson(ctx.io.stdout, json);
  return ExitCode.ok;
}
