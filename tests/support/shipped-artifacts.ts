import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { cachedFolder } from './build-cache.ts';
import { replayEnv } from './dockerfile-replay.ts';
import { envPairs, parseDockerfile } from './dockerfile-text.ts';

// What ships, built the way it ships, once per test run:
// - the server and the bot: the build stage's `pnpm --filter <app> run build` and `pnpm --filter <app>
//   deploy --prod ...` from deploy/Dockerfile.<app>, into a folder holding what the image's /app holds,
//   started with the runtime stage's CMD and ENV;
// - the CLI: `pnpm pack` (whose prepack bundles it), installed with `npm install --global --offline`.
// Each goes into a cache folder named by a hash of its inputs, under a lock: test files running at once
// share one build, and a run with unchanged sources builds nothing.

const ROOT = join(import.meta.dirname, '..', '..');
const env = replayEnv();

export type AppName = 'server' | 'bot';

export interface ShippedApp {
  /** The deployed folder: the image's WORKDIR (/app), where CMD runs. */
  readonly dir: string;
  /** The runtime stage's CMD, e.g. `["node", "dist/main.js"]`. */
  readonly cmd: string[];
  /** The runtime stage's ENV (absolute image paths left as they are: callers override them). */
  readonly env: Record<string, string>;
}

export interface PackedCli {
  /** The `parley` command as `npm install --global` put it. */
  readonly bin: string;
  /** The installed package folder. */
  readonly dir: string;
}

/** The server or the bot as its image holds and starts it. */
export async function shippedApp(app: AppName): Promise<ShippedApp> {
  const dockerfile = readFileSync(join(ROOT, 'deploy', `Dockerfile.${app}`), 'utf8');
  const instructions = parseDockerfile(dockerfile);
  const runtime = instructions.slice(instructions.findLastIndex((i) => i.keyword === 'FROM'));
  const steps = instructions
    .filter((i) => i.keyword === 'RUN' && /^pnpm --filter \S+ (run build|deploy)\b/.test(i.args))
    .map((i) => i.args);
  if (steps.length !== 2) throw new Error(`Dockerfile.${app}: expected a pnpm build and a pnpm deploy step`);
  const inputs = [`${app}/src`, `${app}/package.json`, `deploy/Dockerfile.${app}`, ...SHARED_INPUTS];
  const dir = await cached(app, inputs, (into) => {
    for (const step of steps) run('sh', ['-c', step.replace(/\s\/prod$/, ` ${into}`)]);
  });
  const cmd = JSON.parse(runtime.find((i) => i.keyword === 'CMD')?.args ?? '[]') as string[];
  const runtimeEnv = Object.fromEntries(
    runtime.filter((i) => i.keyword === 'ENV').flatMap((i) => envPairs(i.args)),
  );
  return { dir, cmd, env: runtimeEnv };
}

/** The `parley` command installed from its packed tarball, as people outside this repository get it. */
export async function packedCli(): Promise<PackedCli> {
  const prefix = await cached('cli', ['cli/src', 'cli/package.json', ...SHARED_INPUTS], (into) => {
    const packs = join(into, 'pack');
    mkdirSync(packs, { recursive: true });
    run('pnpm', ['--filter', '@parley/cli', 'pack', '--pack-destination', packs]);
    const [tarball] = readdirSync(packs);
    if (!tarball) throw new Error('pnpm pack @parley/cli wrote nothing');
    // No registry access needed: the CLI is one bundle without runtime dependencies.
    const args = ['install', '--global', '--offline', '--no-audit', '--no-fund', '--prefix', into];
    run('npm', [...args, join(packs, tarball)]);
  });
  return { bin: join(prefix, 'bin', 'parley'), dir: join(prefix, 'lib', 'node_modules', '@parley', 'cli') };
}

/** What every bundle is made of besides its app's own sources. */
const SHARED_INPUTS = ['packages', 'scripts', 'pnpm-lock.yaml'];

/** The folder `make` fills for these inputs, made once per content of the inputs (see build-cache.ts). */
function cached(name: string, inputs: string[], make: (into: string) => void): Promise<string> {
  return cachedFolder(name, inputsHash(inputs), make);
}

function run(command: string, args: string[]): void {
  try {
    execFileSync(command, args, { cwd: ROOT, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const { stdout = '', stderr = '' } = err as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(' ')} failed:\n${stdout}${stderr}`);
  }
}

/** A hash of the contents of files and folders under ROOT (node_modules and dist skipped). */
function inputsHash(inputs: string[]): string {
  const digest = createHash('sha256');
  const walk = (path: string) => {
    if (statSync(path).isDirectory()) {
      for (const entry of readdirSync(path).sort()) {
        if (entry !== 'node_modules' && entry !== 'dist') walk(join(path, entry));
      }
    } else digest.update(relative(ROOT, path)).update(readFileSync(path));
  };
  for (const input of inputs) {
    walk(join(ROOT, input));
  }
  return digest.digest('hex');
}
