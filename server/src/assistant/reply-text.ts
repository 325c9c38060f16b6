import type { ReplyScope } from './reply-scope.ts';

/**
 * The reply's text as told to the client: every round's pieces in order, a blank line between what the
 * model said before a tool call and what it says after, so the told text and the stored reply agree.
 */
export class ReplyText {
  content = '';
  #newRound = false;
  #toldThisRound = false;

  readonly #scope: ReplyScope;

  constructor(scope: ReplyScope) {
    this.#scope = scope;
  }

  startRound(): void {
    this.#newRound = this.content !== '';
    this.#toldThisRound = false;
  }

  /** A model that answered without streaming (an Llm that never calls onDelta) is told in one piece. */
  settle(content: string): void {
    if (!this.#toldThisRound) this.tell(content);
  }

  tell(piece: string): void {
    if (!piece) return;
    this.#toldThisRound = true;
    if (this.#newRound) {
      this.#newRound = false;
      if (!/\s$/.test(this.content)) this.tell('\n\n');
    }
    this.content += piece;
    this.#scope.emit({ type: 'delta', text: piece });
  }
}
