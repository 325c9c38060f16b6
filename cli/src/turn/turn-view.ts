import {
  type ToolEvent,
  ToolPhase,
  type TurnEvent,
  TurnEvent as TurnEventJson,
  type TurnStarted,
} from '@parley/rpc';
import { Chalk } from 'chalk';
import { attachmentNotes } from '../io/attachment-format.ts';
import type { Io, OutStream } from '../io/command-context.ts';
import { shorten, startSpinner, writeLine } from '../io/output.ts';
import { LiveMarkdown } from '../render/live-markdown.ts';

/** How a turn ended, as far as the screen is concerned. */
export type TurnOutcomeKind = 'done' | 'interrupted' | 'failed';

/** Shows one turn as its events arrive. */
export interface TurnView {
  event(event: TurnEvent): void;
  /** A short line about the turn itself (e.g. "reconnected"), never mixed into the reply's text. */
  notice(line: string): void;
  /** After the last event; a `failed` turn's error line is printed next, by the caller. */
  finish(outcome: TurnOutcomeKind): void;
}

export interface TurnViewOptions {
  /** A status line (stderr) for the `started` event, e.g. the id of a new conversation. */
  onStarted?: (started: TurnStarted) => string | undefined;
}

/**
 * The view for where the reply goes: rendered Markdown on a terminal, raw text through a pipe, or one
 * TurnEvent per line as JSON. Status (tool progress, notes, the interrupted marker) goes to stderr, so
 * stdout holds the reply alone.
 */
export function createTurnView(io: Io, mode: { json?: boolean }, options: TurnViewOptions = {}): TurnView {
  if (mode.json) return new JsonLinesView(io.stdout, io.stderr);
  return io.stdout.isTTY === true ? new TerminalView(io, options) : new PlainView(io, options);
}

/** `↳ get_weather Paris`: the tool and its argument values, on one short line. */
export function formatToolProgress(tool: ToolEvent): string {
  if (tool.phase === ToolPhase.FINISHED) {
    return tool.isError ? `↳ ${tool.name} failed: ${shorten(tool.result, 80)}` : '';
  }
  return `↳ ${tool.name} ${argumentSummary(tool.arguments)}`.trimEnd();
}

function argumentSummary(json: string): string {
  let args: unknown;
  try {
    args = JSON.parse(json);
  } catch {
    return shorten(json, 60);
  }
  if (!args || typeof args !== 'object' || Array.isArray(args)) return shorten(json, 60);
  const values = Object.values(args).map((value) =>
    typeof value === 'string' ? value : JSON.stringify(value),
  );
  return shorten(values.join(' '), 60);
}

/** Common part of the text views: status lines on stderr, and a spinner while nothing is showing. */
abstract class StatusView implements TurnView {
  private spinner: { stop(): void } | undefined;
  protected readonly style: InstanceType<typeof Chalk>;

  constructor(
    protected readonly io: Io,
    private readonly options: TurnViewOptions,
  ) {
    this.style = new Chalk({ level: io.stderr.isTTY === true ? 1 : 0 });
    this.wait();
  }

  event({ event }: TurnEvent): void {
    switch (event.oneofKind) {
      case 'started': {
        const note = this.options.onStarted?.(event.started);
        if (note) this.status(note);
        for (const line of attachmentNotes(event.started.userMessage)) this.status(this.style.dim(line));
        break;
      }
      case 'delta':
        this.stopWaiting();
        this.text(event.delta.text);
        break;
      case 'tool': {
        const line = formatToolProgress(event.tool);
        if (line) this.status(this.style.dim(line));
        // The model works on after a tool: spin until it says something.
        this.wait();
        break;
      }
      default:
        break;
    }
  }

  finish(outcome: TurnOutcomeKind): void {
    this.stopWaiting();
    this.endLine();
    // A reply with no text at all is still a reply: an empty line, as the unary CLI always printed.
    if (outcome === 'done' && !this.wroteText) writeLine(this.io.stdout);
    if (outcome === 'interrupted') writeLine(this.io.stderr, this.style.dim('(interrupted)'));
  }

  notice(line: string): void {
    this.noticeLine(this.style.dim(`↻ ${line}`));
  }

  /** Writes a piece of the reply. */
  protected abstract text(delta: string): void;
  /** True once any text of the reply was written. */
  protected abstract get wroteText(): boolean;
  /** Finishes the text written so far, so what follows starts on a line of its own. */
  protected abstract endLine(): void;

  private status(line: string): void {
    this.stopWaiting();
    this.endLine();
    writeLine(this.io.stderr, line);
  }

  /** A notice mid-reply: on a terminal it gets a line of its own; a pipe's reply is left untouched. */
  protected noticeLine(line: string): void {
    this.status(line);
  }

  private wait(): void {
    this.spinner?.stop();
    this.spinner = startSpinner(this.io, 'thinking…');
  }

  private stopWaiting(): void {
    this.spinner?.stop();
    this.spinner = undefined;
  }
}

/** A terminal: raw text while a block is written, rendered Markdown once it is complete. */
class TerminalView extends StatusView {
  private readonly live = new LiveMarkdown(this.io.stdout);
  protected wroteText = false;

  protected text(delta: string): void {
    this.wroteText ||= delta !== '';
    this.live.push(delta);
  }

  protected endLine(): void {
    this.live.end();
  }
}

/** A pipe or file: the reply's text exactly as the model wrote it, piece by piece. */
class PlainView extends StatusView {
  private lineOpen = false;
  protected wroteText = false;

  protected text(delta: string): void {
    if (!delta) return;
    this.io.stdout.write(delta);
    this.wroteText = true;
    this.lineOpen = !delta.endsWith('\n');
  }

  protected endLine(): void {
    if (this.lineOpen) writeLine(this.io.stdout);
    this.lineOpen = false;
  }

  /** stdout carries the reply alone, byte for byte: the notice goes to stderr without ending its line. */
  protected override noticeLine(line: string): void {
    writeLine(this.io.stderr, line);
  }
}

/** `--json`: every event as one line of protobuf JSON, for `jq` and scripts. */
class JsonLinesView implements TurnView {
  constructor(
    private readonly stdout: OutStream,
    private readonly stderr: OutStream,
  ) {}

  event(event: TurnEvent): void {
    writeLine(this.stdout, JSON.stringify(TurnEventJson.toJson(event)));
  }

  /** stdout is one event per line for scripts; a notice goes to stderr. */
  notice(line: string): void {
    writeLine(this.stderr, `↻ ${line}`);
  }

  finish(): void {}
}
