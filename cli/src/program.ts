import { Command, CommanderError, InvalidArgumentError } from 'commander';
import packageJson from '../package.json' with { type: 'json' };
// chat and ask load the streaming view and the Markdown renderer (marked, highlight.js) only when run:
// most of the CLI's code, which `--help` and the other commands never need.
import type { AskOptions } from './commands/ask.ts';
import type { ChatOptions } from './commands/chat.ts';
import { type DeleteOptions, runDelete } from './commands/delete.ts';
import { type ListOptions, runList } from './commands/list.ts';
import { addPolicyCommands, type PolicyClientFactories } from './commands/policy-commands.ts';
import { runShow, type ShowOptions } from './commands/show.ts';
import { runTools, type ToolsOptions } from './commands/tools.ts';
import {
  type ClientFactory,
  type CommandContext,
  createCliClient,
  createContext,
  DEFAULT_SERVER_URL,
  type GlobalOptions,
  type Io,
} from './io/command-context.ts';
import { type ErrorHints, formatRpcError, isUsageError } from './io/errors.ts';
import { EXIT_CODES_HELP, ExitCode } from './io/exit-codes.ts';
import { writeLine } from './io/output.ts';

/** Replaceable pieces of {@link run}; tests pass a fake client. */
export interface RunDeps extends PolicyClientFactories {
  createClient?: ClientFactory;
}

/** What the actions report back to {@link run}: the exit code, and what to say if a call fails. */
interface RunState {
  exitCode: number;
  hints: ErrorHints;
}

/** Runs `parley` with `argv` (without node and script) and resolves to the process exit code. */
export async function run(argv: string[], io: Io, deps: RunDeps = {}): Promise<number> {
  const state: RunState = { exitCode: ExitCode.ok, hints: { serverUrl: DEFAULT_SERVER_URL } };
  const program = buildProgram(io, deps.createClient ?? createCliClient, state);
  addPolicyCommands(program, io, state, deps);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return state.exitCode;
  } catch (err) {
    return reportError(err, io, state.hints);
  }
}

function reportError(err: unknown, io: Io, hints: ErrorHints): number {
  // Commander has already printed its own message (see configureOutput).
  if (err instanceof CommanderError) return err.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
  if (isUsageError(err)) {
    writeLine(io.stderr, `parley: ${err.message}`);
    return ExitCode.usage;
  }
  writeLine(io.stderr, formatRpcError(err, hints));
  return ExitCode.failure;
}

/** The commander program; settings made before `.command()` are inherited by every subcommand. */
export function buildProgram(io: Io, createClient: ClientFactory, state: RunState): Command {
  const program = new Command('parley')
    .description('Talk to a Parley server from the terminal.')
    .version(packageJson.version)
    .option('--server <url>', `server URL (env PARLEY_URL, default ${DEFAULT_SERVER_URL})`)
    .option('--api-key <key>', 'API key (env PARLEY_API_KEY; a local server needs none)')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: (text, write) => write(text.replace(/^error: /, 'parley: ')),
    })
    .showSuggestionAfterError()
    .showHelpAfterError('(run parley --help for usage)')
    .addHelpText('after', EXIT_CODES_HELP);

  const context = (command: Command, conversationId?: string): CommandContext => {
    const ctx = createContext(command.optsWithGlobals<GlobalOptions>(), io, createClient);
    state.hints = { serverUrl: ctx.serverUrl, conversationId };
    return ctx;
  };
  addCommands(program, state, context);
  return program;
}

/** Commander's way of collecting a repeated option into a list. */
function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

type ContextOf = (command: Command, conversationId?: string) => CommandContext;

function addCommands(program: Command, state: RunState, context: ContextOf): void {
  program
    .command('chat')
    .description(
      'chat interactively, replies shown as they are written (/help at the prompt); lines from a pipe work too',
    )
    .argument('[conversation-id]', 'resume this conversation (its history is printed first)')
    .option('--no-stream', 'show each reply once it is complete instead of as it is written')
    .option(
      '-a, --attach <file>',
      'send a file with your first message (repeatable; /attach adds more)',
      collect,
      [],
    )
    .action(async (id: string | undefined, options: ChatOptions, command: Command) => {
      const { runChat } = await import('./commands/chat.ts');
      state.exitCode = await runChat(context(command, id), id, options);
    });
  program
    .command('ask')
    .description('send one message and print the reply as it is written (the conversation id goes to stderr)')
    .argument('[message...]', 'the message (may be left out with --attach)')
    .option(
      '-a, --attach <file>',
      'send a file with the message: an image, audio or a document (repeatable)',
      collect,
      [],
    )
    .option('-c, --conversation <id>', 'continue this conversation instead of starting a new one')
    .option('--json', 'print each event of the reply as a line of JSON (with --no-stream: the response)')
    .option('--no-stream', 'wait for the whole reply instead of printing it as it is written')
    .action(async (words: string[], options: AskOptions, command: Command) => {
      const { runAsk } = await import('./commands/ask.ts');
      state.exitCode = await runAsk(context(command, options.conversation), words, options);
    });
  addReadCommands(program, state, context);
}

function addReadCommands(program: Command, state: RunState, context: ContextOf): void {
  program
    .command('list')
    .description('list your conversations, most recently updated first')
    .option('--limit <n>', 'how many to show (per page with --all), 1-100', parseLimit)
    .option('--all', 'list every conversation, page after page')
    .option('--json', 'print the response as JSON')
    .action(async (options: ListOptions, command: Command) => {
      state.exitCode = await runList(context(command), options);
    });
  program
    .command('show')
    .description('show a conversation with all its messages')
    .argument('<id>', 'conversation id')
    .option('--json', 'print the response as JSON')
    .action(async (id: string, options: ShowOptions, command: Command) => {
      state.exitCode = await runShow(context(command, id), id, options);
    });
  program
    .command('delete')
    .description('delete a conversation and its messages')
    .argument('<id>', 'conversation id')
    .option('-y, --yes', 'do not ask for confirmation (required when stdin is not a terminal)')
    .action(async (id: string, options: DeleteOptions, command: Command) => {
      state.exitCode = await runDelete(context(command, id), id, options);
    });
  program
    .command('tools')
    .description('list the tools the assistant can use for you, built-in and from MCP servers')
    .option('--json', 'print the response as JSON')
    .action(async (options: ToolsOptions, command: Command) => {
      state.exitCode = await runTools(context(command), options);
    });
}

function parseLimit(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 100)
    throw new InvalidArgumentError('expected a whole number from 1 to 100');
  return n;
}
