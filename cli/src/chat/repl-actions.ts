import { randomUUID } from 'node:crypto';
import type { AttachmentUpload, Conversation } from '@parley/rpc';
import {
  describeAll,
  formatConversation,
  formatConversationTable,
} from '../conversations/conversation-format.ts';
import { formatSize } from '../io/attachment-format.ts';
import type { CommandContext } from '../io/command-context.ts';
import { formatRpcError, isFatalInChat, isUsageError, UsageError } from '../io/errors.ts';
import { ExitCode } from '../io/exit-codes.ts';
import { shorten, writeLine } from '../io/output.ts';
import { readAttachment } from '../turn/attachment-files.ts';
import { REPL_HELP, type ReplCommand } from './repl-commands.ts';
import type { ReplInput } from './repl-input.ts';

/** What the chat keeps between entries. */
export interface ChatState {
  conversationId?: string | undefined;
  /** The last `/list`, so `/switch 2` means its second row. */
  listed: Conversation[];
  /** The turn in flight: Ctrl-C aborts it. */
  turn?: AbortController | undefined;
  /** A question in flight (`/delete` asks first): Ctrl-C answers no. */
  question?: AbortController | undefined;
  /** Files waiting for the next message (`--attach`, `/attach`). */
  attachments: AttachmentUpload[];
}

const LIST_SIZE = 20;

/** Runs a slash command; returns an exit code only when the chat must end. */
export async function runReplCommand(
  ctx: CommandContext,
  state: ChatState,
  input: ReplInput,
  command: ReplCommand,
): Promise<number | undefined> {
  try {
    return await dispatch(ctx, state, input, command);
  } catch (err) {
    if (isUsageError(err)) {
      writeLine(ctx.io.stderr, err.message);
      return undefined;
    }
    const hints = { serverUrl: ctx.serverUrl, conversationId: targetOf(command) ?? state.conversationId };
    writeLine(ctx.io.stderr, formatRpcError(err, hints));
    return isFatalInChat(err) ? ExitCode.failure : undefined;
  }
}

async function dispatch(
  ctx: CommandContext,
  state: ChatState,
  input: ReplInput,
  command: ReplCommand,
): Promise<number | undefined> {
  const { stdout, stderr } = ctx.io;
  switch (command.name) {
    case 'exit':
      return ExitCode.ok;
    case 'help':
      writeLine(stdout, REPL_HELP);
      break;
    case 'invalid':
      writeLine(stderr, command.message);
      break;
    case 'new':
      state.conversationId = undefined;
      writeLine(stderr, 'new conversation: your next message starts it');
      break;
    case 'list':
      await list(ctx, state);
      break;
    case 'switch':
      await switchTo(ctx, state, command.target);
      break;
    case 'show':
      if (!state.conversationId) writeLine(stderr, 'no conversation yet: your first message starts one');
      else
        writeLine(
          stdout,
          formatConversation(await describeAll(ctx.client, state.conversationId, ctx.session)),
        );
      break;
    case 'delete':
      await remove(ctx, state, input, command.target);
      break;
    case 'attach': {
      const file = await readAttachment(command.path);
      state.attachments.push(file);
      const size = formatSize(file.data.byteLength);
      writeLine(stderr, `attached ${file.fileName} (${size}): it goes with your next message`);
      break;
    }
  }
  return undefined;
}

async function list(ctx: CommandContext, state: ChatState): Promise<void> {
  const page = await ctx.client.listConversations({ session: ctx.session, pageSize: LIST_SIZE });
  state.listed = page.conversations;
  if (state.listed.length === 0) {
    writeLine(ctx.io.stderr, 'no conversations yet');
    return;
  }
  const rows = formatConversationTable(state.listed).split('\n');
  const numbered = rows.map((row, i) => {
    if (i === 0) return `   #  ${row}`;
    const current = state.listed[i - 1]?.id === state.conversationId ? '*' : ' ';
    return `${current}${String(i).padStart(3)}  ${row}`;
  });
  writeLine(ctx.io.stdout, numbered.join('\n'));
  if (page.nextPageToken) writeLine(ctx.io.stderr, 'older conversations: parley list --all');
}

/** `n` from the last `/list` (fetched now if there was none), else the id as typed. */
async function resolveTarget(ctx: CommandContext, state: ChatState, target: string): Promise<string> {
  if (!/^\d{1,3}$/.test(target)) return target;
  if (state.listed.length === 0) {
    const page = await ctx.client.listConversations({ session: ctx.session, pageSize: LIST_SIZE });
    state.listed = page.conversations;
  }
  const conversation = state.listed[Number(target) - 1];
  if (!conversation) throw new UsageError(`no conversation number ${target}: /list shows the numbers`);
  return conversation.id;
}

async function switchTo(ctx: CommandContext, state: ChatState, target: string): Promise<void> {
  const id = await resolveTarget(ctx, state, target);
  // One message is enough to learn that it exists and is ours, and to get its title.
  const described = await ctx.client.describeConversation({
    conversationId: id,
    session: ctx.session,
    pageSize: 1,
  });
  state.conversationId = id;
  const c = described.conversation;
  const title = shorten(c?.title ?? '', 40) || '(untitled)';
  const count = c?.messageCount ?? 0;
  writeLine(ctx.io.stderr, `switched to ${id} "${title}" (${count} messages; /show prints them)`);
}

async function remove(
  ctx: CommandContext,
  state: ChatState,
  input: ReplInput,
  target?: string,
): Promise<void> {
  const id = target ? await resolveTarget(ctx, state, target) : state.conversationId;
  if (!id) {
    writeLine(ctx.io.stderr, 'no conversation to delete: /delete <id|n> names one');
    return;
  }
  if (
    input.interactive &&
    !(await confirm(state, input, `delete conversation ${id} and all its messages? [y/N] `))
  ) {
    writeLine(ctx.io.stderr, 'not deleted');
    return;
  }
  await ctx.client.deleteConversation({ conversationId: id, session: ctx.session, requestId: randomUUID() });
  state.listed = state.listed.filter((c) => c.id !== id);
  const current = id === state.conversationId;
  if (current) state.conversationId = undefined;
  writeLine(
    ctx.io.stderr,
    `deleted conversation ${id}${current ? ': your next message starts a new one' : ''}`,
  );
}

async function confirm(state: ChatState, input: ReplInput, question: string): Promise<boolean> {
  state.question = new AbortController();
  try {
    return /^y(es)?$/i.test((await input.question(question, state.question.signal)).trim());
  } catch {
    // Ctrl-C or Ctrl-D at the question: nothing was agreed to.
    return false;
  } finally {
    state.question = undefined;
  }
}

function targetOf(command: ReplCommand): string | undefined {
  return 'target' in command && command.target && !/^\d+$/.test(command.target) ? command.target : undefined;
}
