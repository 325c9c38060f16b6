import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { basename, delimiter, dirname, join, posix, relative } from 'node:path';
import { copyOperands, envPairs, type Instruction, parseDockerfile } from './dockerfile-text.ts';

// Replays a Dockerfile without a Docker engine (none runs on these machines): each stage gets its own
// folder standing for the image's filesystem root, COPY copies from the build context through
// .dockerignore (or from an earlier stage), RUN runs with `sh` in the stage's WORKDIR, and the last
// stage's ENV, WORKDIR, CMD and HEALTHCHECK say how to start the result. What cannot be replayed here
// (the base image, user switching) is left to the caller to check in the text.
//
// Differences from `docker build`, each on purpose: `pnpm install` gets `--offline` (the packages come
// from this machine's pnpm store, nothing from the network); `npm install --global pnpm@X` is not run
// but X must equal the pnpm in use; `chown` is a no-op (no `node` user here); absolute image paths in
// RUN arguments and ENV values are mapped into the stage folder. The install and the code generation
// are cached like Docker's layer cache (same inputs, same layer: the key covers every earlier step, the
// contents of what they copied, and this machine's Node), across the two images and across runs.

export interface ReplayedImage {
  /** The final stage's WORKDIR, where CMD runs. */
  readonly dir: string;
  /** The final stage's ENV, absolute image paths mapped into the replay. */
  readonly env: Record<string, string>;
  readonly cmd: string[];
  readonly healthcheck: string[];
  readonly user: string | undefined;
  /** How long each replayed step took, to see where a slow replay spends its time. */
  readonly steps: { step: string; ms: number }[];
}

interface Stage {
  name: string | undefined;
  root: string;
  workdir: string;
  env: Record<string, string>;
  cmd: string[];
  healthcheck: string[];
  user: string | undefined;
  cacheKey: string;
  /**
   * A kept layer the stage's folder stands at but that is not copied in yet, and the writes of the
   * steps since: a kept layer that follows replaces both, so a chain of kept layers costs one copy.
   */
  pending?: { layer: string; writes: Array<() => void> };
}

export interface ReplayOptions {
  /** The build context (the repository root). */
  context: string;
  /** The Dockerfile, relative to the context. */
  dockerfile: string;
  /** An empty folder for the stages. */
  into: string;
  /**
   * Where RUN results worth keeping go: the folder `make` fills for `key` (made once, then reused), as
   * `cachedFolder` in build-cache.ts gives it.
   */
  layers: (name: string, key: string, make: (into: string) => void) => Promise<string>;
}

/** Replays every stage of the Dockerfile and describes the final one. Throws on the first failing step. */
export async function replayDockerfile(options: ReplayOptions): Promise<ReplayedImage> {
  const instructions = parseDockerfile(readFileSync(join(options.context, options.dockerfile), 'utf8'));
  const ignore = dockerIgnore(options.context);
  const stages: Stage[] = [];
  const steps: { step: string; ms: number }[] = [];
  for (const instruction of instructions) {
    const started = performance.now();
    if (instruction.keyword === 'FROM') {
      const name = /\bAS\s+(\S+)$/i.exec(instruction.args)?.[1];
      const root = join(options.into, `stage-${stages.length}`);
      mkdirSync(root, { recursive: true });
      // The base image stands for this machine's Node, whose version RUN results depend on.
      const cacheKey = hash(instruction.args, process.version);
      stages.push({ name, root, workdir: '/', env: {}, cmd: [], healthcheck: [], user: undefined, cacheKey });
      continue;
    }
    const stage = stages.at(-1);
    // A global ARG only parameterises FROM lines (the base image), which the replay does not fetch.
    if (!stage && instruction.keyword === 'ARG') continue;
    if (!stage) throw new Error(`line ${instruction.line}: ${instruction.keyword} before FROM`);
    try {
      await apply(instruction, stage, stages, { ...options, ignore });
    } catch (err) {
      const where = `${options.dockerfile}:${instruction.line} ${instruction.keyword} ${instruction.args}`;
      throw new Error(where, { cause: err });
    }
    steps.push({
      step: `${instruction.keyword} ${instruction.args}`,
      ms: Math.round(performance.now() - started),
    });
  }
  const last = stages.at(-1);
  if (!last) throw new Error(`${options.dockerfile}: no FROM`);
  materialize(last);
  return {
    dir: join(last.root, last.workdir),
    env: last.env,
    cmd: last.cmd,
    healthcheck: last.healthcheck,
    user: last.user,
    steps,
  };
}

interface Context extends ReplayOptions {
  ignore: (path: string) => boolean;
}

async function apply(instruction: Instruction, stage: Stage, stages: Stage[], ctx: Context): Promise<void> {
  const { keyword, args } = instruction;
  switch (keyword) {
    case 'ARG':
    case 'EXPOSE':
      return;
    case 'WORKDIR': {
      stage.workdir = posix.resolve(stage.workdir, args);
      const dir = join(stage.root, stage.workdir);
      write(stage, () => mkdirSync(dir, { recursive: true }));
      return;
    }
    case 'ENV':
      for (const [key, value] of envPairs(args)) stage.env[key] = mapImagePath(stage, value);
      return;
    case 'USER':
      stage.user = args;
      return;
    case 'CMD':
      stage.cmd = JSON.parse(args) as string[];
      return;
    case 'HEALTHCHECK':
      stage.healthcheck = JSON.parse(args.slice(args.indexOf('CMD ') + 4)) as string[];
      return;
    case 'COPY':
      copy(args, stage, stages, ctx);
      return;
    case 'RUN':
      await run(args, stage, ctx);
      return;
    default:
      throw new Error(`the replay does not understand ${keyword}`);
  }
}

function copy(args: string, stage: Stage, stages: Stage[], ctx: Context): void {
  const { sources, dest, from } = copyOperands(args);
  const source = from === undefined ? undefined : stages.find((s) => s.name === from);
  if (from !== undefined && !source) throw new Error(`no stage named ${from}`);
  const target = join(stage.root, posix.resolve(stage.workdir, dest));
  const intoDir = dest.endsWith('/') || sources.length > 1;
  const digest = createHash('sha256').update(source?.cacheKey ?? '');
  if (source) materialize(source);
  for (const path of sources) {
    const origin = source ? join(source.root, path) : join(ctx.context, path);
    if (!existsSync(origin)) throw new Error(`COPY: ${path} does not exist`);
    const isDir = statSync(origin).isDirectory();
    const to = isDir || !intoDir ? target : join(target, basename(path));
    if (source) {
      // Between stages of the replay: hard links, not copies of a few hundred MiB of node_modules.
      write(stage, () => {
        mkdirSync(isDir ? to : dirname(to), { recursive: true });
        execFileSync('cp', ['-al', isDir ? `${origin}/.` : origin, to]);
      });
      continue;
    }
    if (ctx.ignore(path)) throw new Error(`COPY: ${path} is excluded by .dockerignore`);
    const filter = (file: string) => !ctx.ignore(relative(ctx.context, file));
    write(stage, () => cpSync(origin, to, { recursive: true, filter }));
    digest.update(path).update(contentHash(origin));
  }
  stage.cacheKey = hash(stage.cacheKey, args, digest.digest('hex'));
}

async function run(args: string, stage: Stage, ctx: Context): Promise<void> {
  stage.cacheKey = hash(stage.cacheKey, args);
  const pinned = /^npm install --global pnpm@(\S+)$/.exec(args);
  if (pinned) {
    const version = execFileSync('pnpm', ['--version'], { encoding: 'utf8', env: replayEnv() }).trim();
    if (version !== pinned[1])
      throw new Error(`the image pins pnpm ${pinned[1]}, this machine has ${version}`);
    return;
  }
  // Only the install and the code generation are worth keeping: slow, and the same for both images
  // until the lockfile or the contract changes. Kept as hard-linked copies of the stage's folder.
  const kept = /\b(pnpm install|buf generate)\b/.exec(args)?.[1];
  if (!kept) {
    materialize(stage);
    return execute(args, stage);
  }
  let ranHere = false;
  const layer = await ctx.layers(`replay-${kept.replace(/\W+/g, '-')}`, stage.cacheKey, (into) => {
    materialize(stage);
    execute(args, stage);
    ranHere = true;
    mkdirSync(into, { recursive: true });
    execFileSync('cp', ['-al', stage.root, join(into, 'root')]);
  });
  if (!ranHere) stage.pending = { layer: join(layer, 'root'), writes: [] };
}

/** Writes into the stage's folder now, or once its pending layer is copied in. */
function write(stage: Stage, change: () => void): void {
  if (stage.pending) stage.pending.writes.push(change);
  else change();
}

/** Copies the stage's pending layer in (hard links), then makes the writes since. */
function materialize(stage: Stage): void {
  const pending = stage.pending;
  if (!pending) return;
  stage.pending = undefined;
  rmSync(stage.root, { recursive: true, force: true });
  execFileSync('cp', ['-al', pending.layer, stage.root]);
  for (const change of pending.writes) change();
}

function execute(args: string, stage: Stage): void {
  const command = args
    .replace(/\bpnpm install\b/, 'pnpm install --offline')
    .replace(/(^|\s)(\/[\w./-]+)/g, (_, space: string, path: string) => `${space}${join(stage.root, path)}`);
  const result = spawnSync('sh', ['-c', `chown() { :; }; ${command}`], {
    cwd: join(stage.root, stage.workdir),
    env: { ...replayEnv(), ...stage.env },
    encoding: 'utf8',
  });
  if (result.status !== 0) {
    throw new Error(`exit ${result.status}:\n${`${result.stdout}\n${result.stderr}`.trim().slice(-4000)}`);
  }
}

/** This process's PATH with its own node first, so RUN steps use the same Node as the tests. */
export function replayEnv(): Record<string, string> {
  return {
    PATH: [dirname(process.execPath), process.env.PATH ?? ''].join(delimiter),
    HOME: process.env.HOME ?? '/',
  };
}

function mapImagePath(stage: Stage, value: string): string {
  return value.startsWith('/') ? join(stage.root, value) : value;
}

/** A matcher for .dockerignore: `*` within a segment, `**` across them, `!` re-includes. */
function dockerIgnore(context: string): (path: string) => boolean {
  const file = join(context, '.dockerignore');
  const rules = (existsSync(file) ? readFileSync(file, 'utf8') : '')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const negated = line.startsWith('!');
      const pattern = (negated ? line.slice(1) : line).replace(/^\/+|\/+$/g, '');
      const body = pattern
        .split('/')
        .map((part) =>
          part === '**' ? '.*' : part.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*'),
        )
        .join('/')
        .replace(/\.\*\//g, '(.*/)?');
      return { negated, regex: new RegExp(`^${body}(/.*)?$`) };
    });
  return (path) => {
    let ignored = false;
    for (const rule of rules) if (rule.regex.test(path)) ignored = !rule.negated;
    return ignored;
  };
}

function contentHash(path: string): string {
  const digest = createHash('sha256');
  const walk = (p: string) => {
    if (statSync(p).isDirectory()) {
      for (const name of readdirSync(p).sort()) if (name !== 'node_modules') walk(join(p, name));
    } else digest.update(p).update(readFileSync(p));
  };
  walk(path);
  return digest.digest('hex');
}

function hash(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\0')).digest('hex');
}
