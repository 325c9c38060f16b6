import { type Message, Role, Timestamp, type ToolCall } from '@parley/rpc';
import { formatAttachments } from './attachment-format.ts';
import type { Io, OutStream } from './command-context.ts';

export function writeLine(stream: OutStream, text = ''): void {
  stream.write(`${text}\n`);
}

/** Proto JSON (from the generated `XxxResponse.toJson`), pretty-printed for people and `jq` alike. */
export function writeJson(stream: OutStream, json: unknown): void {
  writeLine(stream, JSON.stringify(json, null, 2));
}

/** Local time as `YYYY-MM-DD HH:MM`, or `-` when the server sent none. */
export function formatTime(ts: Timestamp | undefined): string {
  if (!ts) return '-';
  const d = Timestamp.toDate(ts);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** One line of at most `max` characters, with an ellipsis when something was cut. */
export function shorten(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** Left-aligned columns separated by two spaces; the last column is not padded. */
export function formatTable(header: string[], rows: string[][]): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((row) => (row[i] ?? '').length)));
  return all
    .map((row) =>
      row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  '),
    )
    .join('\n');
}

const ROLE_LABELS: Record<Role, string> = {
  [Role.UNSPECIFIED]: 'message',
  [Role.USER]: 'you',
  [Role.ASSISTANT]: 'assistant',
  [Role.SYSTEM]: 'system',
  [Role.TOOL]: 'tool',
};

/** A message as a block: `[label] time`, its content, then any tool calls one per line. */
export function formatMessage(message: Message): string {
  // A reply cut short (Ctrl-C, a client that left, a failed model) says so: its content is partial.
  const cut = message.interrupted ? ' (interrupted)' : '';
  const lines = [`[${ROLE_LABELS[message.role] ?? 'message'}] ${formatTime(message.createdAt)}${cut}`];
  if (message.content) lines.push(message.content);
  lines.push(...formatAttachments(message));
  for (const call of message.toolCalls) lines.push(formatToolCall(call));
  return lines.join('\n');
}

export function formatToolCall(call: ToolCall): string {
  const outcome = call.isError ? 'error: ' : '';
  return `  ↳ ${call.name}(${shorten(call.arguments, 60)}) → ${outcome}${shorten(call.result, 80)}`;
}

/** A spinner on stderr while waiting; nothing at all when stderr is not a terminal. */
export function startSpinner(io: Io, text: string): { stop(): void } {
  // A terminal that reports zero columns (a bare pty) would make ora clear lines forever.
  if (io.stderr.isTTY !== true || io.stderr.columns === 0) return { stop() {} };
  // ora loads only when a terminal waits for an answer: importing it (chalk, cli-cursor, tty…) costs
  // more CPU than the rest of `parley --help`. The spinner is cosmetic, so a failed load shows none.
  let stopped = false;
  let spinner: { stop(): void } | undefined;
  import('ora').then(
    ({ default: ora }) => {
      // discardStdin would put stdin in raw mode and fight readline for it.
      if (!stopped) spinner = ora({ text, stream: io.stderr, discardStdin: false }).start();
    },
    () => {},
  );
  return {
    stop: () => {
      stopped = true;
      spinner?.stop();
    },
  };
}
