import { GetUsageResponse, type UsageClient } from '@parley/rpc';
import type { Io } from '../io/command-context.ts';
import { ExitCode } from '../io/exit-codes.ts';
import { writeJson, writeLine } from '../io/output.ts';
import { formatPeriods } from '../policy/usage-format.ts';

export interface UsageOptions {
  json?: boolean;
}

/**
 * `parley usage`: this day's and month's usage of the CLI's user (PARLEY_USER or the login name), the
 * limits that apply and what is left, the models this key may pick, and whether the user is blocked.
 */
export async function runUsage(
  io: Io,
  client: UsageClient,
  userId: string,
  options: UsageOptions,
): Promise<number> {
  const usage = await client.getUsage({ userId });
  if (options.json) {
    writeJson(io.stdout, GetUsageResponse.toJson(usage));
    return ExitCode.ok;
  }
  const lines = [
    formatPeriods(
      [
        ['today', usage.daily],
        ['month', usage.monthly],
      ],
      usage.currency,
    ),
    '',
    `models: ${modelsLine(usage)}`,
  ];
  if (usage.blocked) lines.push('blocked: yes (an operator blocked this user; turns are refused)');
  writeLine(io.stdout, lines.join('\n'));
  return ExitCode.ok;
}

function modelsLine(usage: GetUsageResponse): string {
  if (usage.anyModel) return `any (default ${usage.defaultModel})`;
  return usage.allowedModels
    .map((model) => (model === usage.defaultModel ? `${model} (default)` : model))
    .join(', ');
}
