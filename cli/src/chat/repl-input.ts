import { EventEmitter } from 'node:events';
import type { Key } from 'node:readline';
import { createInterface, type Interface } from 'node:readline/promises';
import type { Io, OutStream } from '../io/command-context.ts';

const PROMPT = '> ';
const CONTINUATION = '... ';
const FENCE = '"""';
// Terminals wrap pasted text in these markers once asked to (bracketed paste), so a paste is told apart
// from typing: its newlines do not send it.
const PASTE_ON = '\u001b[?2004h';
const PASTE_OFF = '\u001b[?2004l';

/**
 * The chat's input: readline with a prompt on a terminal, plain lines from a pipe. An entry is what the
 * user meant as one message: a line; a `"""` block; or pasted text, whose newlines do not send it (a
 * bracketed paste, or lines arriving in one chunk of input) and which is sent with the Enter that follows.
 */
export class ReplInput {
  readonly interactive: boolean;
  private readonly rl: Interface;
  private readonly gate: GatedOutput | undefined;
  private readonly entries: string[] = [];
  private waiting: ((entry: string | undefined) => void) | undefined;
  private closed = false;
  private readonly block = new FencedBlock();
  private pasted: string[] = [];
  private pasting = false;
  private chunk = { linesLeft: 0, tail: false };

  constructor(
    private readonly io: Io,
    onInterrupt: () => void,
  ) {
    this.interactive = io.stdin.isTTY === true;
    // Before readline's own listener, so each line knows whether more of the same chunk follows it.
    if (this.interactive) io.stdin.on('data', this.onChunk);
    this.gate = this.interactive ? new GatedOutput(io.stdout) : undefined;
    // readline only writes to its output and asks for its size (see GatedOutput).
    const output = this.gate as unknown as NodeJS.WritableStream | undefined;
    this.rl = createInterface({ input: io.stdin, output, terminal: this.interactive });
    this.rl.on('line', (line) => this.onLine(line));
    this.rl.on('close', () => this.onClose());
    this.rl.on('SIGINT', onInterrupt);
    if (this.interactive) {
      io.stdin.on('keypress', this.onKeypress);
      io.stdout.write(PASTE_ON);
    }
  }

  /** The next entry (`undefined` at the end of input), after showing the prompt on a terminal. */
  async read(): Promise<string | undefined> {
    for (;;) {
      const next = await this.nextLine();
      if (next === undefined) return this.block.flush();
      const entry = this.block.push(next);
      if (entry !== undefined) return entry;
    }
  }

  private nextLine(): Promise<string | undefined> {
    const queued = this.entries.shift();
    // Typed (unseen) while a reply was written: shown now, at its prompt, as if typed here.
    if (queued !== undefined && this.interactive && !this.closed)
      this.io.stdout.write(`${this.promptText()}${queued}\n`);
    if (queued !== undefined || this.closed) return Promise.resolve(queued);
    if (this.interactive) {
      this.rl.setPrompt(this.promptText());
      this.rl.prompt(true);
    }
    return new Promise((resolve) => {
      this.waiting = resolve;
    });
  }

  private promptText(): string {
    return this.block.open ? CONTINUATION : PROMPT;
  }

  /** While a reply is written, typing is not echoed (it waits, unsent, at the next prompt). */
  set busy(busy: boolean) {
    if (this.gate) this.gate.muted = busy;
  }

  /** Drops what is typed at the prompt (line, paste, open `"""` block); false when there was nothing. */
  discard(): boolean {
    const had = this.rl.line !== '' || this.pasted.length > 0 || this.block.open;
    if (!had) return false;
    // Like a shell: the line stays on screen marked ^C, and a fresh prompt starts below it.
    this.rl.write(null, { ctrl: true, name: 'e' } as Key);
    this.io.stdout.write('^C\n');
    if (this.gate) this.gate.muted = true;
    this.rl.write(null, { ctrl: true, name: 'u' } as Key);
    if (this.gate) this.gate.muted = false;
    this.pasted = [];
    this.block.flush();
    this.rl.setPrompt(PROMPT);
    this.rl.prompt(true);
    return true;
  }

  /** Asks a question on the terminal; aborting `signal` (Ctrl-C) rejects. */
  question(text: string, signal: AbortSignal): Promise<string> {
    return this.rl.question(text, { signal });
  }

  close(): void {
    this.rl.close();
  }

  private readonly onChunk = (data: Buffer | string) => {
    const text = String(data);
    this.chunk = { linesLeft: (text.match(/\r\n|\r|\n/g) ?? []).length, tail: !/[\r\n]$/.test(text) };
  };

  private readonly onKeypress = (_text: string | undefined, key: Key | undefined) => {
    if (key?.name === 'paste-start') this.pasting = true;
    if (key?.name === 'paste-end') this.pasting = false;
  };

  private onLine(line: string): void {
    this.chunk.linesLeft = Math.max(0, this.chunk.linesLeft - 1);
    const moreInChunk = this.chunk.linesLeft > 0 || this.chunk.tail;
    if (this.interactive && (this.pasting || moreInChunk)) {
      this.pasted.push(line);
      return;
    }
    const entry = [...this.pasted, line].join('\n');
    this.pasted = [];
    const waiting = this.waiting;
    this.waiting = undefined;
    if (waiting) waiting(entry);
    else this.entries.push(entry);
  }

  private onClose(): void {
    this.closed = true;
    if (this.pasted.length > 0) this.entries.push(this.pasted.join('\n'));
    this.pasted = [];
    if (this.interactive) {
      this.io.stdin.off('keypress', this.onKeypress);
      this.io.stdin.off('data', this.onChunk);
      // Ctrl-D, Ctrl-C or /exit: the shell gets its terminal back as it was.
      this.io.stdout.write(PASTE_OFF);
    }
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.(this.entries.shift());
  }
}

/**
 * A `"""` block: the lines between a line starting with `"""` and a line ending with it are one message
 * (text on the fence lines counts too, so `"""a` … `b"""` works, and `"""one line"""` is one message).
 */
export class FencedBlock {
  private lines: string[] | undefined;

  get open(): boolean {
    return this.lines !== undefined;
  }

  /** Takes an entry; returns a complete message, or undefined while a block is open. */
  push(entry: string): string | undefined {
    if (!this.lines) {
      const trimmed = entry.trim();
      if (!trimmed.startsWith(FENCE)) return entry;
      const first = trimmed.slice(FENCE.length);
      if (first.length >= FENCE.length && first.endsWith(FENCE)) return `${first.slice(0, -FENCE.length)}\n`;
      this.lines = first.trim() ? [first] : [];
      return undefined;
    }
    if (entry.trimEnd().endsWith(FENCE)) {
      const last = entry.trimEnd().slice(0, -FENCE.length);
      const text = [...this.lines, ...(last.trim() ? [last] : [])].join('\n');
      this.lines = undefined;
      // The newline keeps a block a message, never a command; an empty block is an empty entry.
      return text.trim() ? `${text}\n` : '';
    }
    this.lines.push(entry);
    return undefined;
  }

  /** Ends input inside an open block: what was typed is still a message. */
  flush(): string | undefined {
    const text = this.lines?.join('\n');
    this.lines = undefined;
    return text?.trim() ? `${text}\n` : undefined;
  }
}

/**
 * readline's output: the terminal, or nothing while muted; it reports the terminal's size. Not a
 * Writable, whose buffering would decide about muting later than the write.
 */
class GatedOutput extends EventEmitter {
  muted = false;

  constructor(private readonly target: OutStream) {
    super();
    target.on('resize', () => this.emit('resize'));
  }

  get isTTY(): boolean {
    return this.target.isTTY === true;
  }

  get columns(): number | undefined {
    return this.target.columns;
  }

  get rows(): number | undefined {
    return this.target.rows;
  }

  write(chunk: string | Uint8Array): boolean {
    if (!this.muted) this.target.write(chunk);
    return true;
  }
}
