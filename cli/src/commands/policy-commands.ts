import {
  type AdminClient,
  type ChatClientOptions,
  createAdminClient,
  createIdentityClient,
  createUsageClient,
  type IdentityClient,
  type UsageClient,
} from '@parley/rpc';
import { type Command, InvalidArgumentError, Option } from 'commander';
import {
  cliSession,
  type GlobalOptions,
  type Io,
  resolveApiKey,
  resolveServerUrl,
  traceHeaders,
} from '../io/command-context.ts';
import type { ErrorHints } from '../io/errors.ts';
import {
  type AdminUsageOptions,
  GROUPINGS,
  type RangeOptions,
  runAdminTop,
  runAdminUsage,
} from './admin-report.ts';
import {
  type BudgetOptions,
  parseCost,
  parseTokens,
  runBlock,
  runBlocked,
  runBudget,
  runUnblock,
} from './admin-users.ts';
import { runAdminLinks, runAdminUnlink, runLink, runLinks, runUnlink } from './link.ts';
import { runUsage, type UsageOptions } from './usage.ts';

/** Replaceable client factories of the usage and admin commands; tests pass fakes. */
export interface PolicyClientFactories {
  createUsageClient?: (options: ChatClientOptions) => UsageClient;
  createAdminClient?: (options: ChatClientOptions) => AdminClient;
  createIdentityClient?: (options: ChatClientOptions) => IdentityClient;
}

/** What the actions report back to the program: the exit code, and what to say if a call fails. */
interface CommandState {
  exitCode: number;
  hints: ErrorHints;
}

/** `parley usage` and `parley admin ...`: the caller's own usage, and the operators' controls. */
export function addPolicyCommands(
  program: Command,
  io: Io,
  state: CommandState,
  factories: PolicyClientFactories,
): void {
  const connect = (command: Command, admin: boolean): ChatClientOptions => {
    const options = connection(command.optsWithGlobals<GlobalOptions>(), io);
    state.hints = { serverUrl: options.baseUrl, admin };
    return options;
  };
  const usageClient = (command: Command) =>
    (factories.createUsageClient ?? createUsageClient)(connect(command, false));
  const adminClient = (command: Command) =>
    (factories.createAdminClient ?? createAdminClient)(connect(command, true));
  program
    .command('usage')
    .description('your usage today and this month, your budget and what is left, the models you may pick')
    .option('--json', 'print the response as JSON')
    .action(async (options: UsageOptions, command: Command) => {
      const client = usageClient(command);
      state.exitCode = await runUsage(io, client, cliSession(io.env).userId, options);
    });
  const identityClient = (command: Command) =>
    (factories.createIdentityClient ?? createIdentityClient)(connect(command, false));
  addLinkCommands(program, io, state, identityClient);
  addAdminCommands(program, io, state, adminClient);
}

/** `parley link`, `links`, `unlink`: this user and their identities on other clients (Telegram, …). */
function addLinkCommands(
  program: Command,
  io: Io,
  state: CommandState,
  identityClient: (command: Command) => IdentityClient,
): void {
  const user = () => cliSession(io.env).userId;
  program
    .command('link')
    .description('link with Telegram (or another app): show a one-time code, or redeem one shown there')
    .argument('[code]', 'a code /link showed in Telegram')
    .action(async (code: string | undefined, _options: unknown, command: Command) => {
      state.exitCode = await runLink(io, identityClient(command), user(), code);
    });
  program
    .command('links')
    .description('the apps this user is linked with (conversations, usage and budget shared)')
    .option('--json', 'print the response as JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      state.exitCode = await runLinks(io, identityClient(command), user(), options);
    });
  program
    .command('unlink')
    .description('undo a link: number n of `parley links`, or this user by default')
    .argument('[n]', 'the number in parley links', parseIndex)
    .action(async (index: number | undefined, _options: unknown, command: Command) => {
      state.exitCode = await runUnlink(io, identityClient(command), user(), index);
    });
}

function parseIndex(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 100)
    throw new InvalidArgumentError('expected a number from parley links');
  return n;
}

function addAdminCommands(
  program: Command,
  io: Io,
  state: CommandState,
  adminClient: (command: Command) => AdminClient,
): void {
  const admin = program
    .command('admin')
    .description('usage reports, blocks and budgets (needs an admin API key)');
  withRange(admin.command('usage').description('usage summed over UTC days (default: this month)'))
    .addOption(new Option('--by <grouping>', 'group by').choices(Object.keys(GROUPINGS)).default('user'))
    .option('--user <id>', 'only this user (with --client)')
    .action(async (options: AdminUsageOptions, command: Command) => {
      state.exitCode = await runAdminUsage(io, adminClient(command), options);
    });
  withRange(admin.command('top').description('the users who used the most (by cost, then tokens)')).action(
    async (options: RangeOptions, command: Command) => {
      state.exitCode = await runAdminTop(io, adminClient(command), options);
    },
  );
  addBlockCommands(admin, io, state, adminClient);
  admin
    .command('links')
    .description('people who linked identities across clients')
    .option('--client <name>', 'only people with a user on this client')
    .option('--json', 'print the response as JSON')
    .action(async (options: { client?: string; json?: boolean }, command: Command) => {
      state.exitCode = await runAdminLinks(io, adminClient(command), options);
    });
  admin
    .command('unlink')
    .description('undo a link: take the user out of their person')
    .argument('<client>', 'the client the user belongs to')
    .argument('<user>', 'the user id on that client')
    .action(async (client: string, user: string, _options: unknown, command: Command) => {
      state.exitCode = await runAdminUnlink(io, adminClient(command), { client, user });
    });
  addBudgetCommand(admin, io, state, adminClient);
}

function addBlockCommands(
  admin: Command,
  io: Io,
  state: CommandState,
  adminClient: (command: Command) => AdminClient,
): void {
  admin
    .command('block')
    .description('refuse a user’s turns until unblocked')
    .argument('<client>', 'the client the user belongs to (its name in API_KEYS)')
    .argument('<user>', 'the user id on that client')
    .option('--reason <text>', 'kept for operators, never shown to the user')
    .action(async (client: string, user: string, options: { reason?: string }, command: Command) => {
      state.exitCode = await runBlock(io, adminClient(command), { client, user }, options.reason);
    });
  admin
    .command('unblock')
    .description('let a blocked user in again')
    .argument('<client>', 'the client the user belongs to')
    .argument('<user>', 'the user id on that client')
    .action(async (client: string, user: string, _options: unknown, command: Command) => {
      state.exitCode = await runUnblock(io, adminClient(command), { client, user });
    });
  admin
    .command('blocked')
    .description('list blocked users')
    .option('--client <name>', 'only this client’s users')
    .option('--json', 'print the response as JSON')
    .action(async (options: { client?: string; json?: boolean }, command: Command) => {
      state.exitCode = await runBlocked(io, adminClient(command), options);
    });
}

function addBudgetCommand(
  admin: Command,
  io: Io,
  state: CommandState,
  adminClient: (command: Command) => AdminClient,
): void {
  admin
    .command('budget')
    .description('set one user’s own budget; the limits given for a period replace the policy’s for it')
    .argument('<client>', 'the client the user belongs to')
    .argument('<user>', 'the user id on that client')
    .option('--daily-tokens <n>', 'tokens per UTC day (none: unlimited)', parseTokens)
    .option('--monthly-tokens <n>', 'tokens per UTC month (none: unlimited)', parseTokens)
    .option('--daily-cost <amount>', 'money per UTC day, e.g. 1.50 (none: unlimited)', parseCost)
    .option('--monthly-cost <amount>', 'money per UTC month (none: unlimited)', parseCost)
    .option('--clear', 'remove the user’s own budget: the client policy applies again')
    .action(async (client: string, user: string, options: BudgetOptions, command: Command) => {
      state.exitCode = await runBudget(io, adminClient(command), { client, user }, options);
    });
}

function withRange(command: Command): Command {
  return command
    .option('--since <day>', 'first UTC day, YYYY-MM-DD (default: the first of this month)')
    .option('--until <day>', 'last UTC day, YYYY-MM-DD (default: today)')
    .option('--client <name>', 'only this client’s usage')
    .option('--limit <n>', 'at most this many rows', parseRows)
    .option('--json', 'print the response as JSON');
}

function parseRows(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1000)
    throw new InvalidArgumentError('expected a whole number from 1 to 1000');
  return n;
}

/** The server, key and trace headers of a call, resolved as every command's are. */
function connection(options: GlobalOptions, io: Io): ChatClientOptions {
  const baseUrl = resolveServerUrl(options, io.env);
  const apiKey = resolveApiKey(options, io.env, baseUrl);
  const headers = traceHeaders(io.env);
  return {
    baseUrl,
    ...(apiKey ? { apiKey } : {}),
    ...(Object.keys(headers).length > 0 ? { headers } : {}),
  };
}
