import stringWidth from 'string-width';
import { lastBlockEnd, renderMarkdown } from './markdown.ts';

/** Where {@link LiveMarkdown} writes: a terminal, whose size decides wrapping and what can be redrawn. */
export interface LiveTerminal {
  write(text: string): unknown;
  columns?: number;
  rows?: number;
}

const ERASE_TO_END = '\u001b[J';

/**
 * A streamed reply on a terminal, the way chat REPLs show one: text appears raw as it is written, and
 * each block (paragraph, list, code block) is redrawn as rendered Markdown once it is complete. The raw
 * text of the block being written is the only thing ever taken back, so the cursor never has to travel
 * above it; a block taller than the screen has scrolled out of reach and stays raw.
 */
export class LiveMarkdown {
  /** Raw text of the blocks not rendered yet. */
  private pending = '';
  /** What is on screen for `pending`, from the start of a line. */
  private shown = '';

  constructor(private readonly terminal: LiveTerminal) {}

  push(delta: string): void {
    const text = terminalSafe(delta);
    if (!text) return;
    this.pending += text;
    const cut = lastBlockEnd(this.pending);
    if (cut === -1) {
      this.show(text);
      return;
    }
    const complete = this.pending.slice(0, cut);
    this.pending = this.pending.slice(cut).replace(/^\n+/, '');
    if (this.erase()) {
      if (complete.trim()) this.terminal.write(`${renderMarkdown(complete, { width: this.width })}\n`);
      this.show(this.pending);
    } else {
      // The block scrolled out of reach: it stays raw, and the next block is tracked from its first line.
      this.terminal.write(displayed(text));
      this.shown = displayed(this.pending);
    }
  }

  /** Renders what is left (the last block, or a cut-short one) and ends on a new line. */
  end(): void {
    const rest = this.pending;
    const onNewLine = this.shown === '' || this.shown.endsWith('\n');
    this.pending = '';
    if (rest.trim() && this.erase()) this.terminal.write(renderMarkdown(rest, { width: this.width }));
    else if (!onNewLine) this.terminal.write('\n');
    this.shown = '';
  }

  private get width(): number {
    return this.terminal.columns && this.terminal.columns > 0 ? this.terminal.columns : 80;
  }

  private show(text: string): void {
    if (!text) return;
    this.terminal.write(displayed(text));
    this.shown += displayed(text);
  }

  /** Takes the raw text back off the screen; false (and nothing done) when part of it scrolled away. */
  private erase(): boolean {
    if (this.shown === '') return true;
    const rows = rowsOf(this.shown, this.width);
    if (rows >= (this.terminal.rows ?? Number.POSITIVE_INFINITY)) {
      this.shown = '';
      return false;
    }
    const up = rows > 1 ? `\u001b[${rows - 1}A` : '';
    this.terminal.write(`\r${up}${ERASE_TO_END}`);
    this.shown = '';
    return true;
  }
}

/** Terminal rows `text` occupies when written from the start of a line, up to the cursor after it. */
export function rowsOf(text: string, columns: number): number {
  let rows = 0;
  // A line exactly as wide as the terminal leaves the cursor on its own row (the terminal wraps only when
  // the next glyph comes), so ceil() counts it right whether or not a newline follows.
  for (const line of text.split('\n')) rows += Math.max(1, Math.ceil(stringWidth(line) / columns));
  return rows;
}

/** Raw text as the screen shows it: tabs as spaces, so rows can be counted. */
function displayed(text: string): string {
  return text.replace(/\t/g, '    ');
}

/**
 * Model text without the control characters a terminal would obey (escape sequences could move the
 * cursor, retitle the window or hide text): newlines and tabs stay, carriage returns go.
 */
export function terminalSafe(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point.
  return text.replace(/\r\n?/g, '\n').replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '');
}
