import { type ChatState, runReplCommand } from '../chat/repl-actions.ts';
import { parseEntry } from '../chat/repl-commands.ts';
import { ReplInput } from '../chat/repl-input.ts';
import { describeAll, formatMessages } from '../conversations/conversation-format.ts';
import type { CommandContext } from '../io/command-context.ts';
import { formatRpcError, isFatalInChat } from '../io/errors.ts';
import { ExitCode } from '../io/exit-codes.ts';
import { writeLine } from '../io/output.ts';
import { readAttachments } from '../turn/attachment-files.ts';
import { runTurn } from '../turn/run-turn.ts';
import { createTurnView } from '../turn/turn-view.ts';

export interface ChatOptions {
  /** False with `--no-stream`: each reply is shown once it is complete. */
  stream?: boolean;
  /** Files sent with the first message (`--attach`, repeatable). */
  attach?: string[];
}

/**
 * `parley chat [id]`: a conversation at a prompt, with slash commands. Works the same through a pipe
 * (no prompt; each line a message, sent strictly in order after the previous reply).
 */
export async function runChat(
  ctx: CommandContext,
  conversationId?: string,
  options: ChatOptions = {},
): Promise<number> {
  if (conversationId) {
    try {
      const described = await describeAll(ctx.client, conversationId, ctx.session);
      for (const block of formatMessages(described.messages)) writeLine(ctx.io.stdout, `${block}\n`);
    } catch (err) {
      writeLine(ctx.io.stderr, formatRpcError(err, { serverUrl: ctx.serverUrl, conversationId }));
      return ExitCode.failure;
    }
    writeLine(ctx.io.stderr, `conversation ${conversationId}`);
  }
  const state: ChatState = { conversationId, listed: [], attachments: await readAttachments(options.attach) };
  let leaving = false;
  const input = new ReplInput(ctx.io, () => {
    if (interrupt(state, input)) return;
    leaving = true;
    input.close();
  });
  const unsubscribe = ctx.io.onInterrupt?.(() => {
    // A signal (not a keypress at a prompt) ends a piped chat; on a terminal it is Ctrl-C as usual.
    if (interrupt(state, input) && input.interactive) return;
    leaving = true;
    input.close();
  });
  try {
    if (input.interactive)
      writeLine(ctx.io.stderr, 'type a message; /help lists the commands, Ctrl-D leaves');
    return await loop(ctx, state, input, options, () => leaving);
  } finally {
    unsubscribe?.();
    input.close();
    // The shell's prompt starts on a line of its own, not after ours.
    if (input.interactive) writeLine(ctx.io.stdout);
  }
}

/** Ctrl-C: cancels the reply or question in flight, else drops what is typed; false when there was neither. */
function interrupt(state: ChatState, input: ReplInput): boolean {
  if (state.turn) {
    state.turn.abort();
    return true;
  }
  if (state.question) {
    state.question.abort();
    return true;
  }
  return input.interactive && input.discard();
}

async function loop(
  ctx: CommandContext,
  state: ChatState,
  input: ReplInput,
  options: ChatOptions,
  leaving: () => boolean,
): Promise<number> {
  for (;;) {
    const text = await input.read();
    if (text === undefined || leaving()) return ExitCode.ok;
    const entry = parseEntry(text);
    let code: number | undefined;
    if (entry.kind === 'command') code = await runReplCommand(ctx, state, input, entry.command);
    else if (entry.kind === 'message') code = await turn(ctx, state, input, entry.text, options);
    if (code !== undefined) return code;
    if (leaving()) return ExitCode.ok;
  }
}

/** Sends one message and shows the reply; returns an exit code only when the chat must end. */
async function turn(
  ctx: CommandContext,
  state: ChatState,
  input: ReplInput,
  message: string,
  options: ChatOptions,
): Promise<number | undefined> {
  state.turn = new AbortController();
  input.busy = true;
  const view = createTurnView(
    ctx.io,
    {},
    {
      onStarted: (started) =>
        started.newConversation ? `conversation ${started.conversationId}` : undefined,
    },
  );
  // Files wait for the next message (--attach, /attach); sent or refused, they are not sent again.
  const request = { message, conversationId: state.conversationId, attachments: state.attachments };
  state.attachments = [];
  try {
    const outcome = await runTurn(ctx, request, view, {
      stream: options.stream !== false,
      signal: state.turn.signal,
    });
    state.conversationId = outcome.conversationId ?? state.conversationId;
    return undefined;
  } catch (err) {
    const hints = { serverUrl: ctx.serverUrl, conversationId: state.conversationId };
    writeLine(ctx.io.stderr, formatRpcError(err, hints));
    return isFatalInChat(err) ? ExitCode.failure : undefined;
  } finally {
    state.turn = undefined;
    input.busy = false;
  }
}
