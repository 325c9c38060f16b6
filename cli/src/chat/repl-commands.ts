/** A slash command typed at the chat prompt. */
export type ReplCommand =
  | { name: 'help' }
  | { name: 'new' }
  | { name: 'list' }
  | { name: 'switch'; target: string }
  | { name: 'show' }
  | { name: 'delete'; target?: string }
  | { name: 'attach'; path: string }
  | { name: 'exit' }
  /** Not a command we know, or one used wrongly: `message` says what to do instead. */
  | { name: 'invalid'; message: string };

/** What the user entered at the prompt: a message for the model, a command, or nothing. */
export type ReplEntry =
  | { kind: 'message'; text: string }
  | { kind: 'command'; command: ReplCommand }
  | { kind: 'empty' };

export const REPL_HELP = `Commands:
  /help             this list
  /new              start a new conversation with your next message
  /list             your recent conversations, numbered
  /switch <id|n>    continue another conversation (n from /list)
  /show             the current conversation with all its messages
  /delete [id|n]    delete the current (or the given) conversation
  /attach <file>    send a file (image, audio, document) with your next message
  /exit             leave (also /quit, Ctrl-D, or Ctrl-C at an empty prompt)
Anything else is sent as a message; start it with // to send a message that begins with /.
Multi-line messages: paste them, or type """ on a line, then the lines, then """ again.
Ctrl-C while a reply is written cancels it.`;

const ALIASES: Record<string, string> = { quit: 'exit', '?': 'help', ls: 'list' };
const NAMES = ['help', 'new', 'list', 'switch', 'show', 'delete', 'attach', 'exit'] as const;
type Name = (typeof NAMES)[number];

/**
 * Reads one entry. A single line `/name [argument]` is a command (unknown names included, so a mistyped
 * command never reaches the model); `//text` sends `/text`; anything else, and every multi-line entry,
 * is a message.
 */
export function parseEntry(input: string): ReplEntry {
  const text = input.trim();
  if (!text) return { kind: 'empty' };
  // Several lines (a paste, a """ block) are a message whatever their first line says.
  if (input.includes('\n')) return { kind: 'message', text };
  if (text.startsWith('//')) return { kind: 'message', text: text.slice(1) };
  const match = /^\/([A-Za-z?][\w-]*)(?:\s+(.*))?$/.exec(text);
  if (!match) return { kind: 'message', text };
  const typed = (match[1] ?? '').toLowerCase();
  return { kind: 'command', command: toCommand(ALIASES[typed] ?? typed, match[2]?.trim() ?? '') };
}

function toCommand(name: string, argument: string): ReplCommand {
  if (!isName(name)) return { name: 'invalid', message: unknown(name) };
  switch (name) {
    case 'switch':
      return argument
        ? { name, target: argument }
        : { name: 'invalid', message: 'usage: /switch <id|n> (n is a number from /list)' };
    case 'delete':
      return argument ? { name, target: argument } : { name };
    case 'attach':
      return argument
        ? { name, path: argument.replace(/^(["'])(.*)\1$/, '$2') }
        : { name: 'invalid', message: 'usage: /attach <file> (it goes with your next message)' };
    default:
      return argument ? { name: 'invalid', message: `/${name} takes no argument` } : { name };
  }
}

function isName(name: string): name is Name {
  return (NAMES as readonly string[]).includes(name);
}

function unknown(name: string): string {
  const near = NAMES.filter((known) => known.startsWith(name.slice(0, 2)));
  const hint = near.length === 1 ? ` (did you mean /${near[0]}?)` : '';
  return `unknown command /${name}${hint}; /help lists them, //text sends text that starts with /`;
}
