/**
 * Just enough of a terminal to check what a user would see: printable text with wrapping, `\n` (as a
 * tty's onlcr turns it into CR LF), `\r`, cursor up (`ESC[nA`, which cannot reach above the visible
 * rows), erase to the end of the screen (`ESC[J`); colours and other SGR codes are dropped.
 */
export class VirtualScreen {
  readonly lines: string[] = [''];
  private row = 0;
  private col = 0;

  constructor(
    readonly columns = 80,
    readonly rows = 24,
  ) {}

  write(data: string): boolean {
    // biome-ignore lint/suspicious/noControlCharactersInRegex: parsing escape sequences is the point.
    const tokens = data.match(/\u001b\[[0-9;?]*[A-Za-z]|[\s\S]/g) ?? [];
    for (const token of tokens) this.apply(token);
    return true;
  }

  /** The screen's text, scrollback included, without trailing blank lines. */
  get text(): string {
    return this.lines
      .map((line) => line.trimEnd())
      .join('\n')
      .replace(/\n+$/, '');
  }

  private apply(token: string): void {
    if (token === '\n') this.newline();
    else if (token === '\r') this.col = 0;
    else if (token.startsWith('\u001b[')) this.escape(token);
    else this.put(token);
  }

  private escape(token: string): void {
    const kind = token.at(-1);
    const n = Number(token.slice(2, -1)) || 1;
    if (kind === 'A') this.row = Math.max(this.row - n, Math.max(0, this.lines.length - this.rows));
    if (kind === 'J') {
      this.lines[this.row] = (this.lines[this.row] ?? '').slice(0, this.col);
      this.lines.length = this.row + 1;
    }
  }

  private put(char: string): void {
    if (this.col >= this.columns) {
      this.newline();
    }
    const line = (this.lines[this.row] ?? '').padEnd(this.col);
    this.lines[this.row] = line.slice(0, this.col) + char + line.slice(this.col + 1);
    this.col++;
  }

  private newline(): void {
    this.row++;
    this.col = 0;
    if (this.lines.length <= this.row) this.lines.push('');
  }
}
