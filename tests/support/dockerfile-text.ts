// A Dockerfile as text: its instructions, the operands of COPY and the pairs of ENV. Read by the replay
// (dockerfile-replay.ts) and by what builds or checks the shipped apps without replaying them.

export interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

/** Reads instructions: continuation lines joined, comments and parser directives dropped. */
export function parseDockerfile(text: string): Instruction[] {
  const instructions: Instruction[] = [];
  let pending = '';
  let start = 0;
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (!pending && (line === '' || line.startsWith('#'))) return;
    if (pending && line.startsWith('#')) return;
    if (!pending) start = index + 1;
    pending += `${pending ? ' ' : ''}${line.replace(/\\$/, '').trim()}`;
    if (line.endsWith('\\')) return;
    const [keyword = '', ...rest] = pending.split(/\s+/);
    instructions.push({ keyword: keyword.toUpperCase(), args: rest.join(' '), line: start });
    pending = '';
  });
  return instructions;
}

/** The sources of every COPY from the build context that comes before the first `pnpm install`. */
export function manifestsCopiedBeforeInstall(instructions: Instruction[]): string[] {
  const end = instructions.findIndex((i) => i.keyword === 'RUN' && /\bpnpm install\b/.test(i.args));
  return instructions
    .slice(0, end)
    .filter((i) => i.keyword === 'COPY' && !i.args.includes('--from='))
    .flatMap((i) => copyOperands(i.args).sources);
}

/** The operands of a COPY: its sources, its destination and the stage it copies from (`--from=`). */
export function copyOperands(args: string): { sources: string[]; dest: string; from: string | undefined } {
  const words = args.split(/\s+/);
  const from = words.find((w) => w.startsWith('--from='))?.slice('--from='.length);
  const operands = words.filter((w) => !w.startsWith('--'));
  const dest = operands.pop() ?? '';
  return { sources: operands, dest, from };
}

/** The `KEY=value` pairs of an ENV (a quoted value without its quotes). */
export function envPairs(args: string): [string, string][] {
  return [...args.matchAll(/(\w+)=("([^"]*)"|\S*)/g)].map((m) => [m[1] ?? '', m[3] ?? m[2] ?? '']);
}
