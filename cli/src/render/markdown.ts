import { Chalk } from 'chalk';
import { Marked } from 'marked';
import { markedTerminal } from 'marked-terminal';

/** Options of {@link renderMarkdown}. */
export interface MarkdownOptions {
  /** Columns to wrap paragraphs at (the terminal's width). */
  width: number;
  /** ANSI styles (bold, colours); false keeps the layout only. Default true: callers render for a TTY. */
  color?: boolean;
}

/**
 * Renders a reply's Markdown for a terminal: bold and italics as ANSI styles, lists indented, code blocks
 * set apart, paragraphs wrapped at `width`. Meant for a TTY; piped output should stay raw text.
 */
export function renderMarkdown(text: string, options: MarkdownOptions): string {
  return parser(options).parse(text, { async: false }).replace(/\n+$/, '\n');
}

const parsers = new Map<string, Marked>();

/** One configured parser per width and colour mode: building one per reply costs more than rendering. */
function parser({ width, color = true }: MarkdownOptions): Marked {
  const key = `${width}:${color}`;
  let marked = parsers.get(key);
  if (!marked) {
    // An explicit level: chalk's own guess reads process.stdout, which is not who we render for.
    const chalk = new Chalk({ level: color ? 1 : 0 });
    marked = new Marked(
      markedTerminal({
        width: Math.max(20, width),
        reflowText: true,
        tab: 2,
        showSectionPrefix: false,
        emoji: false,
        strong: chalk.bold,
        em: chalk.italic,
        del: chalk.strikethrough,
        heading: chalk.bold,
        firstHeading: chalk.bold.underline,
        code: chalk.yellow,
        codespan: chalk.yellow,
        blockquote: chalk.italic,
        link: chalk.blue,
        href: chalk.blue.underline,
      }),
    );
    // marked-terminal prints the text of a tight list item raw (`**bold**` with its asterisks): marked
    // gives such items block-level text tokens holding inline tokens, which it does not descend into.
    marked.use({
      renderer: {
        text(token) {
          return 'tokens' in token && token.tokens ? this.parser.parseInline(token.tokens) : false;
        },
      },
    });
    parsers.set(key, marked);
  }
  return marked;
}

/**
 * Renders a streamed reply block by block: {@link push} returns the rendered blocks (paragraphs, lists,
 * code blocks) completed by the new text, {@link end} the rest. A block is complete at a blank line
 * outside a code fence, so a list or paragraph is never rendered half-written and nothing printed has
 * to be taken back.
 */
export class MarkdownStream {
  private pending = '';

  constructor(private readonly options: MarkdownOptions) {}

  push(delta: string): string {
    this.pending += delta;
    const cut = lastBlockEnd(this.pending);
    if (cut === -1) return '';
    const complete = this.pending.slice(0, cut);
    this.pending = this.pending.slice(cut).replace(/^\n+/, '');
    return complete.trim() ? `${renderMarkdown(complete, this.options)}\n` : '';
  }

  end(): string {
    const rest = this.pending;
    this.pending = '';
    return rest.trim() ? renderMarkdown(rest, this.options) : '';
  }
}

/** Index just past the last blank line that is outside a fenced code block, or -1. */
export function lastBlockEnd(text: string): number {
  let inFence = false;
  let cut = -1;
  let offset = 0;
  const lines = text.split('\n');
  // The last element is an unfinished line: it may still become a fence or a blank line.
  for (const line of lines.slice(0, -1)) {
    if (/^\s{0,3}(```|~~~)/.test(line)) inFence = !inFence;
    else if (!inFence && line.trim() === '' && offset > 0) cut = offset;
    offset += line.length + 1;
  }
  return cut;
}
