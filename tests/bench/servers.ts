import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { envPairs, parseDockerfile } from '../support/dockerfile-text.ts';
import { API_KEY, CLIENT } from './fixtures.ts';
import { type BenchProcess, freePort, spawnNode, waitForHealth, waitForLine } from './processes.ts';

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

/** The `node` flags the server's image starts the bundle with (its CMD between `node` and the entry). */
export function imageNodeFlags(): string[] {
  const cmd = runtimeStage().findLast((i) => i.keyword === 'CMD')?.args ?? '[]';
  return (JSON.parse(cmd) as string[]).slice(1, -1);
}

/** The server image's ENV, without the settings a benchmark sets itself (PORT, HOST, DATA_DIR). */
export function imageEnv(): Record<string, string> {
  const pairs = runtimeStage()
    .filter((i) => i.keyword === 'ENV')
    .flatMap((i) => envPairs(i.args));
  return Object.fromEntries(pairs.filter(([key]) => !['PORT', 'HOST', 'DATA_DIR'].includes(key)));
}

function runtimeStage() {
  const instructions = parseDockerfile(readFileSync(here('../../deploy/Dockerfile.server'), 'utf8'));
  return instructions.slice(instructions.findLastIndex((i) => i.keyword === 'FROM'));
}

export interface RunningServer {
  proc: BenchProcess;
  url: string;
}

/** Server settings a user's shell may carry; cleared so every run measures the defaults. */
const CLEARED = [
  'SYSTEM_PROMPT',
  'CONTEXT_MAX_MESSAGES',
  'CONTEXT_TOKEN_BUDGET',
  'SUMMARIZE_AFTER',
  'MONGODB_URL',
  'MONGODB_DB',
  'OPENAI_MODEL',
  'OPENAI_TIMEOUT_MS',
  'OPENAI_MAX_RETRIES',
  'MAX_MESSAGE_CHARS',
  'MAX_BODY_BYTES',
  'SESSION_TTL_SECONDS',
  'MAX_TOOL_ROUNDS',
];

export interface ParleyOptions {
  name: string;
  modelUrl: string;
  dataDir: string;
  redisUrl: string;
  redisPrefix: string;
  /** Write a V8 CPU profile here when the server exits. */
  cpuProfDir?: string;
  /** Use the MongoDB store at this URL instead of the embedded SQLite file. */
  mongoUrl?: string;
  /**
   * Run the compiled server (`pnpm build`'s server/dist/main.js, with the `node` flags of the image's
   * CMD) instead of the sources under tsx.
   */
  compiled?: boolean;
  /** The compiled entry, from the repository root (default server/dist/main.js): e.g. a saved build. */
  main?: string;
  /** More `node` flags, after the image's (so one given again here wins) and before the entry. */
  nodeArgs?: string[];
  /** False: the compiled server without the image's `node` flags (to measure what they do). */
  imageFlags?: boolean;
  /**
   * False: no memory probe (no memory, loop-lag or SQLite figures): what the CPU-per-turn comparisons
   * with the baseline (which carries none) need, as the probe's hooks cost the server CPU a turn.
   */
  probe?: boolean;
  /** No Redis: the embedded defaults (sessions, locks and idempotency in process). */
  noRedis?: boolean;
  /** More settings, last: `undefined` removes one (e.g. `REDIS_URL` for the embedded default). */
  env?: Record<string, string | undefined>;
}

/**
 * Starts the real server in its own process: the compiled bundle (`compiled`: server/dist/main.js, as
 * production runs it; profiles name source files through its source maps) or the sources under tsx
 * (`node --import tsx server/src/main.ts`). Plus the benchmark's memory probe, which only answers
 * questions over IPC.
 */
export async function startParley(options: ParleyOptions): Promise<RunningServer> {
  const port = await freePort();
  const cleared = Object.fromEntries(CLEARED.map((key) => [key, undefined]));
  const proc = spawnNode({
    name: options.name,
    ipc: true,
    args: [
      ...(options.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`] : []),
      // The image's flags first: a flag given again later wins (V8 takes the last), so `nodeArgs` can
      // override one of them (e.g. --max-semi-space-size).
      ...(options.compiled && options.imageFlags !== false ? imageNodeFlags() : []),
      ...(options.nodeArgs ?? []),
      ...(options.compiled
        ? [
            ...(options.probe === false ? [] : ['--import', here('./memory-probe.ts')]),
            options.main ?? 'server/dist/main.js',
          ]
        : [
            '--conditions=@parley/source',
            '--import',
            'tsx',
            ...(options.probe === false ? [] : ['--import', here('./memory-probe.ts')]),
            'server/src/main.ts',
          ]),
    ],
    env: {
      ...cleared,
      PORT: String(port),
      HOST: '127.0.0.1',
      API_KEYS: `${CLIENT}=${API_KEY}`,
      DATA_DIR: options.dataDir,
      ...(options.noRedis ? { REDIS_URL: undefined } : { REDIS_URL: options.redisUrl }),
      REDIS_KEY_PREFIX: options.redisPrefix,
      OPENAI_BASE_URL: options.modelUrl,
      OPENAI_API_KEY: 'bench',
      LOG_LEVEL: 'warn',
      GENERATE_TITLES: 'false',
      TOOLS: 'none',
      ...(options.mongoUrl ? { MONGODB_URL: options.mongoUrl } : {}),
      ...options.env,
    },
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHealth(proc, `${url}/health`);
  } catch (err) {
    await proc.stop();
    throw err;
  }
  return { proc, url };
}

/** The instant OpenAI-compatible stand-in (instant-model.ts) in its own process. */
export async function startModel(): Promise<RunningServer> {
  const proc = spawnNode({ name: 'stand-in model', args: ['--import', 'tsx', here('./instant-model.ts')] });
  const url = await waitForLine(proc, /OPENAI_BASE_URL=(\S+)/);
  return { proc, url };
}

/** The bare node:http baseline (baseline-server.ts) in its own process. */
export async function startBaseline(options: {
  modelUrl: string;
  dataDir: string;
  redisUrl: string;
  redisPrefix: string;
}): Promise<RunningServer> {
  const proc = spawnNode({
    name: 'baseline',
    args: ['--import', 'tsx', here('./baseline-server.ts')],
    env: {
      PORT: '0',
      DATA_DIR: options.dataDir,
      REDIS_URL: options.redisUrl,
      REDIS_KEY_PREFIX: options.redisPrefix,
      OPENAI_BASE_URL: options.modelUrl,
    },
  });
  const url = await waitForLine(proc, /BASELINE_URL=(\S+)/);
  return { proc, url };
}

/** The bare streaming relay (relay-baseline.ts), with the memory probe, run by Node itself (no tsx). */
export async function startRelayBaseline(
  modelUrl: string,
  cpuProfDir?: string,
  nodeArgs: string[] = [],
): Promise<RunningServer> {
  const proc = spawnNode({
    name: 'bare relay',
    ipc: true,
    args: [
      ...(cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`] : []),
      ...nodeArgs,
      '--disable-warning=ExperimentalWarning',
      '--import',
      here('./memory-probe.ts'),
      here('./relay-baseline.ts'),
    ],
    env: { PORT: '0', OPENAI_BASE_URL: modelUrl },
  });
  const url = await waitForLine(proc, /RELAY_URL=(\S+)/);
  return { proc, url };
}

/** CongoDB (an in-process MongoDB wire-protocol server from npm) in its own process. */
export async function startCongoProcess(): Promise<RunningServer> {
  const proc = spawnNode({ name: 'congodb', args: ['--import', 'tsx', here('./congo-process.ts')] });
  const url = await waitForLine(proc, /MONGODB_URL=(\S+)/);
  return { proc, url };
}
