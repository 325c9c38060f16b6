import { ToolPhase, type TurnDone, type TurnEvent } from '@parley/rpc';
import type { Texts } from '../i18n/texts.ts';
import { escapeHtml, markdownToTelegramHtml } from '../telegram/reply-format.ts';
import { splitMessage, TELEGRAM_MESSAGE_LIMIT } from '../telegram/split-message.ts';
import { closeOpenMarkdown } from './close-open-markdown.ts';
import { describeToolCall } from './tool-progress.ts';

/** Marks a preview that shows only the end of a reply too long for one message. */
const CONTINUED = '… ';

/**
 * A streamed turn as the chat should see it so far: the text written, the tool at work, and the `done`
 * event once it arrives. Rendering is separate from folding (see {@link previewHtml}) because events come
 * far more often than a preview is shown.
 */
export class TurnProgress {
  readonly #showToolNames: boolean;
  readonly #texts: Texts;
  #text = '';
  #tool: string | undefined;
  #conversationId: string | undefined;
  #done: TurnDone | undefined;

  constructor(showToolNames: boolean, texts: Texts) {
    this.#showToolNames = showToolNames;
    this.#texts = texts;
  }

  /** The reply's Markdown so far. */
  get text(): string {
    return this.#text;
  }

  get conversationId(): string | undefined {
    return this.#conversationId;
  }

  get done(): TurnDone | undefined {
    return this.#done;
  }

  /** Forgets the text so far: the server ran the turn anew after a dropped stream, its text starts over. */
  restart(): void {
    this.#text = '';
    this.#tool = undefined;
  }

  /** Folds one event in; true when the preview has changed. */
  apply({ event }: TurnEvent): boolean {
    switch (event.oneofKind) {
      case 'started':
        this.#conversationId = event.started.conversationId;
        return false;
      case 'delta':
        if (!event.delta.text) return false;
        this.#text += event.delta.text;
        this.#tool = undefined;
        return true;
      case 'tool': {
        // The line stays up after the tool finishes, until the model writes on or calls the next tool.
        if (event.tool.phase !== ToolPhase.STARTED) return false;
        const { name, arguments: args } = event.tool;
        this.#tool = describeToolCall(name, args, this.#texts, this.#showToolNames);
        return true;
      }
      case 'done':
        this.#done = event.done;
        if (event.done.conversation?.id) this.#conversationId = event.done.conversation.id;
        return false;
      default:
        return false;
    }
  }

  /**
   * The reply so far as Telegram HTML that fits one message: the whole text, or its end when it has grown
   * longer (the finished reply is split into parts), with the tool at work in italics below.
   */
  previewHtml(): string {
    const status = this.#tool ? `<i>🔧 ${escapeHtml(this.#tool)}…</i>` : '';
    if (!this.#text.trim()) return status;
    const room = TELEGRAM_MESSAGE_LIMIT - CONTINUED.length - (status ? status.length + 2 : 0);
    const parts = splitMessage(markdownToTelegramHtml(closeOpenMarkdown(this.#text)), room);
    const body = parts.length > 1 ? `${CONTINUED}${parts.at(-1) ?? ''}` : (parts[0] ?? '');
    return status ? `${body}\n\n${status}` : body;
  }
}
