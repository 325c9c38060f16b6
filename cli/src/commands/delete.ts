import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline/promises';
import type { CommandContext, Io } from '../io/command-context.ts';
import { UsageError } from '../io/errors.ts';
import { ExitCode } from '../io/exit-codes.ts';
import { writeLine } from '../io/output.ts';

export interface DeleteOptions {
  yes?: boolean;
}

/** `parley delete <id>`: asks first on a terminal; scripts must say `--yes`. */
export async function runDelete(
  ctx: CommandContext,
  conversationId: string,
  options: DeleteOptions,
): Promise<number> {
  if (!options.yes) {
    if (ctx.io.stdin.isTTY !== true) {
      throw new UsageError('refusing to delete without confirmation: stdin is not a terminal, pass --yes');
    }
    if (!(await confirm(ctx.io, `delete conversation ${conversationId} and all its messages? [y/N] `))) {
      writeLine(ctx.io.stderr, 'not deleted');
      return ExitCode.ok;
    }
  }
  await ctx.client.deleteConversation({ conversationId, session: ctx.session, requestId: randomUUID() });
  writeLine(ctx.io.stdout, `deleted conversation ${conversationId}`);
  return ExitCode.ok;
}

async function confirm(io: Io, question: string): Promise<boolean> {
  const rl = createInterface({ input: io.stdin, output: io.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } catch {
    // Ctrl-D or Ctrl-C at the question: nothing was agreed to.
    return false;
  } finally {
    rl.close();
  }
}
