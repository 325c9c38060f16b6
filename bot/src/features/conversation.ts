import { AttachmentKind, type AttachmentUpload, type Message, RpcError, resumeOnDrop } from '@parley/rpc';
import { Composer, type Context } from 'telegraf';
import { message } from 'telegraf/filters';
import type { Chat, User } from 'telegraf/types';
import type { Texts } from '../i18n/texts.ts';
import { LiveReply } from '../streaming/live-reply.ts';
import { TurnProgress } from '../streaming/turn-progress.ts';
import { escapeHtml, markdownToTelegramHtml } from '../telegram/reply-format.ts';
import { startTyping } from '../telegram/typing.ts';
import { addressedText } from '../updates/addressed-text.ts';
import { enqueue, type FeatureDeps, logFailure, requestIdFor } from '../updates/feature-deps.ts';
import { isGroupChat, sessionMetadataFor } from '../updates/session-metadata.ts';

/** One user message on its way to the assistant. */
export interface TurnRequest {
  chat: Chat;
  from: User | undefined;
  text: string;
  updateId: number;
  /** The message being answered; replies in groups quote it. */
  messageId: number;
  /** Files sent with it (photos, a voice note, documents), already downloaded. */
  attachments?: AttachmentUpload[];
}

/**
 * Plain text is a turn of the chat's conversation; in groups only text addressed to the bot. Runs after
 * the command features and the files (attachments.ts): what it leaves (group chatter) goes on down the
 * chain unclaimed.
 */
export function conversationFeature(deps: FeatureDeps): Composer<Context> {
  const feature = new Composer<Context>();
  feature.on(message('text'), (ctx, next) => {
    const text = addressedText(ctx.message, ctx.chat, ctx.botInfo);
    if (text === undefined) return next();
    const request: TurnRequest = {
      chat: ctx.chat,
      from: ctx.from,
      text,
      updateId: ctx.update.update_id,
      messageId: ctx.message.message_id,
    };
    const { chat, from } = ctx;
    if (text.startsWith('/')) {
      enqueue(deps, chat, () => say(deps, request, 'conversation.unknownCommand', {}), from);
    } else if (!text) {
      enqueue(deps, chat, () => say(deps, request, 'conversation.yes', replyOptions(request)), from);
    } else {
      enqueue(deps, chat, () => runTurn(deps, request), from);
    }
  });
  // Anything else (a location, a contact, a poll): say so in a private chat rather than stay silent.
  feature.on('message', (ctx, next) => {
    if (isGroupChat(ctx.chat)) return next();
    const { chat, from } = ctx;
    enqueue(deps, chat, () => say(deps, { chat, from }, 'attachments.unsupported', {}), from);
  });
  return feature;
}

/** One of the bot's own lines, in the sender's language. */
async function say(
  deps: FeatureDeps,
  request: Pick<TurnRequest, 'chat' | 'from'>,
  key: 'conversation.unknownCommand' | 'conversation.yes' | 'attachments.unsupported',
  options: { replyTo?: number },
): Promise<void> {
  const { t } = await deps.languages.textsFor(request.from);
  await deps.outbox.text(request.chat.id, t(key), options);
}

/**
 * Sends the text to the chat's current conversation and streams the reply into the chat as it is written
 * (see LiveReply): "typing…" until the first text, tool progress in the preview, then the formatted reply.
 * A failure becomes one friendly line; a reply cut short keeps what had arrived, with a note.
 */
export async function runTurn(deps: FeatureDeps, request: TurnRequest): Promise<void> {
  const { chat } = request;
  const { limits } = deps.outbox;
  // The chat blocked or removed the bot while this waited: nothing could be shown, so nothing is asked.
  if (limits.isUnreachable(chat.id)) return;
  const started = performance.now();
  const texts = await deps.languages.textsFor(request.from);
  const stopTyping = startTyping(deps.telegram, chat.id, { logger: deps.logger, limits });
  const quote = replyOptions(request).replyTo;
  const reply = new LiveReply(deps.live, {
    chat,
    draftId: request.messageId,
    ...(quote === undefined ? {} : { replyTo: quote }),
  });
  const progress = new TurnProgress(deps.showTools, texts);
  let outcome = 'ok';
  try {
    // The update's request id: a redelivered update re-attaches to the running turn, never pays twice;
    // so does this bot after a dropped stream (a network cut, a server restart).
    const call = {
      message: request.text,
      session: sessionMetadataFor(chat, request.from),
      requestId: requestIdFor(request.updateId),
      ...(request.attachments ? { attachments: request.attachments } : {}),
    };
    const events = resumeOnDrop({
      open: () => deps.parley.streamContinueConversation(call),
      onResumed: ({ restarted }) => {
        deps.logger.info({ restarted }, 'the stream to the server dropped; re-attached to the turn');
        if (restarted) progress.restart();
      },
    });
    let heard = '';
    for await (const event of events) {
      if (event.event.oneofKind === 'started') heard = filesNote(event.event.started.userMessage, texts);
      if (progress.apply(event)) reply.show(() => progress.previewHtml());
      if (progress.text) stopTyping();
    }
    stopTyping();
    const { done } = progress;
    if (!done) throw new RpcError('the stream ended before the turn finished', 'unavailable');
    const html = heard + replyHtml(done.reply?.content ?? '', deps.showTools ? done.toolsUsed : [], texts);
    await reply.finish(done.reply?.interrupted ? `${html}\n\n${cutShort(texts)}` : html);
  } catch (err) {
    stopTyping();
    const failure = logFailure(deps, err, 'conversation turn', texts);
    outcome = failure.code;
    const partial = progress.text.trim() ? `${replyHtml(progress.text, [], texts)}\n\n` : '';
    await reply.finish(partial ? `${partial}${cutShort(texts, failure.text)}` : escapeHtml(failure.text));
  } finally {
    stopTyping();
    deps.metrics.turn(outcome, (performance.now() - started) / 1000);
  }
}

/**
 * What the user should see of their own files above the reply: what was heard in a voice note (so a
 * misheard word is noticed), and which documents were too long to read whole.
 */
function filesNote(userMessage: Message | undefined, texts: Texts): string {
  const lines: string[] = [];
  for (const file of userMessage?.attachments ?? []) {
    if (file.kind === AttachmentKind.AUDIO) {
      lines.push(
        file.transcript
          ? texts.t('attachments.heard', { transcript: escapeHtml(file.transcript) })
          : texts.t('attachments.heardNothing'),
      );
    }
    if (file.truncated) {
      lines.push(texts.t('attachments.truncated', { name: escapeHtml(file.name || 'document') }));
    }
  }
  return lines.length > 0 ? `${lines.join('\n')}\n\n` : '';
}

/** The note under a reply that stopped before its end, with the reason when there is one. */
function cutShort(texts: Texts, reason?: string): string {
  return `<i>${texts.t('conversation.cutShort')}${reason ? ` ${escapeHtml(reason)}` : ''}</i>`;
}

/** The model's Markdown as Telegram HTML, with the tools it used in a discreet italic line. */
export function replyHtml(markdown: string, toolsUsed: readonly string[], texts: Texts): string {
  const body = markdown.trim()
    ? markdownToTelegramHtml(markdown)
    : `<i>${texts.t('conversation.noAnswer')}</i>`;
  const tools = [...new Set(toolsUsed)];
  return tools.length > 0 ? `${body}\n\n<i>🔧 ${escapeHtml(tools.join(', '))}</i>` : body;
}

function replyOptions(request: TurnRequest): { replyTo?: number } {
  return isGroupChat(request.chat) ? { replyTo: request.messageId } : {};
}
