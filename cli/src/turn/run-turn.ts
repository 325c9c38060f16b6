import { randomUUID } from 'node:crypto';
import { type AttachmentUpload, Conversation, Message, Role, resumeOnDrop, TurnEvent } from '@parley/rpc';
import type { CommandContext } from '../io/command-context.ts';
import type { TurnView } from './turn-view.ts';

export interface TurnRequest {
  message: string;
  /** Files sent with the message (read from disk; the server sniffs what they are). */
  attachments?: AttachmentUpload[];
  /** Continue this conversation; without one, the turn starts a new conversation. */
  conversationId?: string | undefined;
}

export interface TurnOptions {
  /** Stream the reply (the default) or wait for it whole (`--no-stream`). */
  stream: boolean;
  /** Aborting cancels the turn: the request is closed and the server stores the reply as interrupted. */
  signal: AbortSignal;
}

export interface TurnOutcome {
  /** The conversation the turn went to, once the server said (undefined if it failed before that). */
  conversationId: string | undefined;
  interrupted: boolean;
}

/**
 * One turn, shown on `view` as it happens. A cancelled turn resolves with `interrupted`; any other
 * failure is thrown (an RpcError) after the view has finished.
 */
export async function runTurn(
  ctx: CommandContext,
  request: TurnRequest,
  view: TurnView,
  options: TurnOptions,
): Promise<TurnOutcome> {
  let conversationId = request.conversationId;
  try {
    for await (const event of turnEvents(ctx, request, view, options)) {
      const { event: e } = event;
      if (e.oneofKind === 'started') conversationId = e.started.conversationId || conversationId;
      if (e.oneofKind === 'done') conversationId = e.done.conversation?.id || conversationId;
      view.event(event);
    }
    view.finish('done');
    return { conversationId, interrupted: false };
  } catch (err) {
    if (options.signal.aborted) {
      view.finish('interrupted');
      return { conversationId, interrupted: true };
    }
    view.finish('failed');
    throw err;
  }
}

function turnEvents(
  ctx: CommandContext,
  { message, conversationId, attachments = [] }: TurnRequest,
  view: TurnView,
  options: TurnOptions,
): AsyncIterable<TurnEvent> {
  // One request id for the turn: a re-attach after a dropped stream repeats it, never runs a second turn.
  const base = { message, session: ctx.session, requestId: randomUUID(), attachments };
  if (!options.stream) return unaryTurn(ctx, { ...base, conversationId }, options.signal);
  const call = { signal: options.signal };
  return resumeOnDrop({
    open: () =>
      conversationId
        ? ctx.client.streamContinueConversation({ ...base, conversationId }, call)
        : ctx.client.streamStartConversation(base, call),
    signal: options.signal,
    onResumed: ({ restarted }) =>
      view.notice(restarted ? 'the server started the answer over:' : 'reconnected'),
  });
}

/** `--no-stream`: the unary call, told as the events a stream would have carried, so one view fits both. */
async function* unaryTurn(
  ctx: CommandContext,
  request: UnaryRequest,
  signal: AbortSignal,
): AsyncGenerator<TurnEvent> {
  const { conversationId, ...base } = request;
  const options = { abort: signal };
  let conversation: Conversation;
  let reply: Message | undefined;
  let toolsUsed: string[] = [];
  if (conversationId) {
    const response = await ctx.client.continueConversation({ ...base, conversationId }, options);
    conversation = Conversation.create({ id: response.conversationId || conversationId });
    ({ reply, toolsUsed } = response);
  } else {
    const response = await ctx.client.startConversation(base, options);
    conversation = response.conversation ?? Conversation.create();
    reply = response.reply;
  }
  reply ??= Message.create({ role: Role.ASSISTANT });
  const started = { conversationId: conversation.id, newConversation: !conversationId };
  yield TurnEvent.create({ event: { oneofKind: 'started', started } });
  yield TurnEvent.create({ event: { oneofKind: 'delta', delta: { text: reply.content } } });
  yield TurnEvent.create({ event: { oneofKind: 'done', done: { conversation, reply, toolsUsed } } });
}

interface UnaryRequest {
  message: string;
  attachments: AttachmentUpload[];
  session: CommandContext['session'];
  requestId: string;
  conversationId?: string | undefined;
}
