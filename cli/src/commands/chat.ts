import { randomUUID } from 'node:crypto';
import { createInterface, type Interface } from 'node:readline/promises';
import type { CommandContext } from '../command-context.ts';
import { formatRpcError, isFatalInChat } from '../errors.ts';
import { ExitCode } from '../exit-codes.ts';
import { startSpinner, writeLine } from '../output.ts';
import { describeAll, formatMessages } from './show.ts';

interface ChatState {
  conversationId?: string | undefined;
  /** Aborted by Ctrl-C: the call in flight is cancelled and the chat ends. */
  stop: AbortController;
}

const EXIT_COMMANDS = new Set(['/exit', '/quit']);

/**
 * `parley chat [id]`: a line-by-line conversation. Works the same on a terminal and through a pipe; lines
 * are sent strictly in order, each after the previous reply arrived.
 */
export async function runChat(ctx: CommandContext, conversationId?: string): Promise<number> {
  const state: ChatState = { conversationId, stop: new AbortController() };
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
  return loop(ctx, state);
}

async function loop(ctx: CommandContext, state: ChatState): Promise<number> {
  const interactive = ctx.io.stdin.isTTY === true;
  const rl = createInterface({
    input: ctx.io.stdin,
    output: interactive ? ctx.io.stdout : undefined,
    terminal: interactive,
  });
  // Taken at once: lines that arrive before the first read are buffered, never lost.
  const lines = rl[Symbol.asyncIterator]();
  const interrupt = () => {
    state.stop.abort();
    rl.close();
  };
  rl.on('SIGINT', interrupt);
  const unsubscribe = ctx.io.onInterrupt?.(interrupt);
  try {
    return await readLines(ctx, state, rl, lines);
  } finally {
    unsubscribe?.();
    rl.close();
    if (interactive) writeLine(ctx.io.stdout);
  }
}

async function readLines(
  ctx: CommandContext,
  state: ChatState,
  rl: Interface,
  lines: AsyncIterator<string>,
): Promise<number> {
  if (ctx.io.stdin.isTTY === true) writeLine(ctx.io.stderr, 'type a message; /exit or Ctrl-D to leave');
  for (;;) {
    if (ctx.io.stdin.isTTY === true) rl.prompt();
    const next = await lines.next();
    if (next.done || state.stop.signal.aborted) return ExitCode.ok;
    const line = next.value.trim();
    if (!line) continue;
    if (EXIT_COMMANDS.has(line)) return ExitCode.ok;
    const code = await turn(ctx, state, line);
    if (code !== undefined) return code;
  }
}

/** Sends one line and prints the reply; returns an exit code only when the chat must end. */
async function turn(ctx: CommandContext, state: ChatState, message: string): Promise<number | undefined> {
  const spinner = startSpinner(ctx.io, 'thinking…');
  const known = state.conversationId;
  try {
    const reply = await send(ctx, state, message);
    spinner.stop();
    if (state.conversationId && state.conversationId !== known) {
      writeLine(ctx.io.stderr, `conversation ${state.conversationId}`);
    }
    writeLine(ctx.io.stdout, reply);
    return undefined;
  } catch (err) {
    spinner.stop();
    if (state.stop.signal.aborted) return ExitCode.ok;
    const hints = { serverUrl: ctx.serverUrl, conversationId: state.conversationId };
    writeLine(ctx.io.stderr, formatRpcError(err, hints));
    return isFatalInChat(err) ? ExitCode.failure : undefined;
  }
}

async function send(ctx: CommandContext, state: ChatState, message: string): Promise<string> {
  const options = { abort: state.stop.signal };
  const base = { message, session: ctx.session, requestId: randomUUID() };
  if (!state.conversationId) {
    const resp = await ctx.client.startConversation(base, options);
    state.conversationId = resp.conversation?.id;
    return resp.reply?.content ?? '';
  }
  const resp = await ctx.client.continueConversation(
    { ...base, conversationId: state.conversationId },
    options,
  );
  return resp.reply?.content ?? '';
}
