import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createChatClient } from '@parley/rpc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { cachedFolder } from '../support/build-cache.ts';
import { type ReplayedImage, replayDockerfile, replayEnv } from '../support/dockerfile-replay.ts';
import { manifestsCopiedBeforeInstall, parseDockerfile } from '../support/dockerfile-text.ts';
import { freePort } from '../support/free-port.ts';
import { type OpenAiStandIn, startOpenAiStandIn } from '../support/openai-stand-in.ts';
import { startOtlpCollector } from '../support/otlp-collector.ts';
import { startTelegramEmulator, type TelegramEmulator } from '../support/telegram-emulator.ts';
import { waitForBotMessages } from '../support/telegram-stack.ts';

// No Docker engine runs here, so the images are proven by replaying their Dockerfiles (see
// dockerfile-replay.ts): the same manifest list, `pnpm install --frozen-lockfile` offline from the
// store, the build, `pnpm deploy --prod`, then the runtime stage's CMD and HEALTHCHECK, run from the
// deployed folder with plain `node dist/...`. A manifest missing from a Dockerfile fails the replay.

const root = join(import.meta.dirname, '..', '..');
const scratch = mkdtempSync(join(tmpdir(), 'parley-images-'));
const children = new Set<ChildProcess>();
const REPLAY_MS = 150_000;

// The install and code generation layers are shared with later runs (build-cache.ts), keyed by content.
const replay = (dockerfile: string): Promise<ReplayedImage> =>
  replayDockerfile({
    context: root,
    dockerfile,
    into: join(scratch, dockerfile.replace(/\W/g, '-')),
    layers: cachedFolder,
  });

/** Every workspace project's package.json, from pnpm-workspace.yaml's globs (one level deep). */
function workspaceManifests(): string[] {
  const { packages } = parse(readFileSync(join(root, 'pnpm-workspace.yaml'), 'utf8')) as {
    packages: string[];
  };
  return packages
    .flatMap((glob) =>
      glob.endsWith('/*')
        ? readdirSync(join(root, glob.slice(0, -2))).map((name) => `${glob.slice(0, -2)}/${name}`)
        : [glob],
    )
    .map((dir) => `${dir}/package.json`)
    .filter((manifest) => existsSync(join(root, manifest)))
    .sort();
}

/** Runs the image's CMD from its WORKDIR with its ENV plus `env`; resolves once `ready()` holds. */
async function start(image: ReplayedImage, env: Record<string, string>, ready: () => Promise<boolean>) {
  const [command = '', ...args] = image.cmd;
  const child = spawn(command === 'node' ? process.execPath : command, args, {
    cwd: image.dir,
    env: { ...replayEnv(), ...image.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  // Rejects when the process exits: raced with a wait, a crash fails the test at once, with its output.
  const exited = once(child, 'exit').then(() => {
    throw new Error(`${image.cmd.join(' ')} exited ${child.exitCode}:\n${output}`);
  });
  exited.catch(() => {});
  const deadline = Date.now() + 15_000;
  while (!(await ready())) {
    if (child.exitCode !== null)
      throw new Error(`${image.cmd.join(' ')} exited ${child.exitCode}:\n${output}`);
    if (Date.now() > deadline) throw new Error(`${image.cmd.join(' ')} not ready in 15 s:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { child, output: () => output, exited };
}

/** Runs the image's HEALTHCHECK command as Docker would, inside the running container's environment. */
function healthcheck(image: ReplayedImage, env: Record<string, string>): number | null {
  const [command = '', ...args] = image.healthcheck;
  return spawnSync(command === 'node' ? process.execPath : command, args, {
    cwd: image.dir,
    env: { ...replayEnv(), ...image.env, ...env },
    timeout: 3_000,
  }).status;
}

/**
 * The image holds the bundle and production dependencies only: the workspace packages and every other
 * library are inside dist/, and node_modules holds just what the manifest leaves external.
 */
function expectProductionOnly(image: ReplayedImage): void {
  expect(existsSync(join(image.dir, 'dist', 'main.js'))).toBe(true);
  expect(existsSync(join(image.dir, 'src'))).toBe(false);
  const manifest = JSON.parse(readFileSync(join(image.dir, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
  };
  const modules = join(image.dir, 'node_modules');
  const installed = readdirSync(modules)
    .filter((name) => !name.startsWith('.'))
    .flatMap((name) =>
      name.startsWith('@') ? readdirSync(join(modules, name)).map((sub) => `${name}/${sub}`) : [name],
    );
  expect(installed.sort()).toEqual(Object.keys(manifest.dependencies ?? {}).sort());
  for (const tool of ['tsx', 'vitest', '@biomejs', '@bufbuild', 'esbuild', '@types', '@parley']) {
    expect(existsSync(join(modules, tool)), tool).toBe(false);
  }
}

const up = (url: string) => () =>
  fetch(url).then(
    (res) => res.ok,
    () => false,
  );

// The replayed images hold a few hundred MB of files: removing them takes a while on a loaded machine.
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await rm(scratch, { recursive: true, force: true });
}, 180_000);

describe.each(['deploy/Dockerfile.server', 'deploy/Dockerfile.bot'])('%s', (dockerfile) => {
  const instructions = parseDockerfile(readFileSync(join(root, dockerfile), 'utf8'));

  it('copies every workspace manifest before installing, so the frozen lockfile installs them all', () => {
    expect(
      [...manifestsCopiedBeforeInstall(instructions)].filter((m) => m.endsWith('/package.json')).sort(),
    ).toEqual(workspaceManifests());
  });

  it('runs as the node user, with a healthcheck, from compiled code', () => {
    const final = instructions.slice(instructions.findLastIndex((i) => i.keyword === 'FROM'));
    expect(final.find((i) => i.keyword === 'USER')?.args).toBe('node');
    expect(final.some((i) => i.keyword === 'HEALTHCHECK')).toBe(true);
    // The server's node runs AsyncLocalStorage on context frames (docs/deployment.md).
    const flags = dockerfile.endsWith('.server')
      ? '"--experimental-async-context-frame", "--max-semi-space-size=64", '
      : '';
    expect(final.find((i) => i.keyword === 'CMD')?.args).toBe(`["node", ${flags}"dist/main.js"]`);
  });
});

// The model both images talk to; the bot's conversation goes through the server image.
let model: OpenAiStandIn;
let serverImage: ReplayedImage | undefined;
beforeAll(async () => {
  model = await startOpenAiStandIn();
});
afterAll(() => model?.close());

/** The server image started with its CMD and ENV on a free port, keyed for `clientKey`; its URL. */
async function startServerImage(image: ReplayedImage, clientKey: string): Promise<string> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env = { PORT: String(port), HOST: '127.0.0.1', API_KEYS: `replay=${clientKey}` };
  await start(image, { ...env, OPENAI_BASE_URL: model.url, OPENAI_API_KEY: 'test' }, up(`${url}/ready`));
  return url;
}

describe('the server image, replayed', () => {
  let image: ReplayedImage;
  beforeAll(async () => {
    image = await replay('deploy/Dockerfile.server');
    serverImage = image;
  }, REPLAY_MS);

  it('holds only the compiled server and its production dependencies', () => {
    expect(image.user).toBe('node');
    expectProductionOnly(image);
  });

  it('starts with node dist/main.js, reaches /ready, passes its HEALTHCHECK and answers a turn', async () => {
    const url = await startServerImage(image, 'replay-key-0123456789');
    expect(healthcheck(image, { PORT: new URL(url).port })).toBe(0);

    model.script({ reply: 'compiled and running' });
    const chat = createChatClient({ baseUrl: url, apiKey: 'replay-key-0123456789' });
    const res = await chat.startConversation({
      message: 'hello',
      session: { platform: 'replay', userId: 'u1', chatId: 'c1' },
    });
    expect(res.reply?.content).toBe('compiled and running');
    // The embedded store wrote under the image's DATA_DIR (mapped into the replay).
    expect(readdirSync(image.env.DATA_DIR ?? '').length).toBeGreaterThan(0);
  });

  // gRPC too: its exporter loads @grpc/grpc-js lazily through createRequire, which a bundle must not lose.
  it.each([
    ['http/json', /^\/v1\/traces /],
    ['grpc', /^\/opentelemetry\.proto\.collector\.trace\.v1\.TraceService\/Export /],
  ] as const)(
    'exports spans over OTLP %s when OTEL_* asks (the SDK is a chunk of the bundle, loaded then)',
    async (protocol, path) => {
      const collector = await startOtlpCollector(protocol);
      try {
        const port = await freePort();
        const server = await start(
          image,
          {
            PORT: String(port),
            HOST: '127.0.0.1',
            API_KEYS: 'replay=replay-key-0123456789',
            OPENAI_API_KEY: 'test',
            OPENAI_BASE_URL: model.url,
            OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
            OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
          },
          up(`http://127.0.0.1:${port}/ready`),
        );
        const chat = createChatClient({
          baseUrl: `http://127.0.0.1:${port}`,
          apiKey: 'replay-key-0123456789',
        });
        await chat.listConversations({ session: { platform: 'replay', userId: 'u1', chatId: 'c1' } });
        // SIGTERM flushes the queued spans before the server exits.
        server.child.kill('SIGTERM');
        await once(server.child, 'exit');
        expect(
          collector.received.some((r) => path.test(r) && r.includes('ListConversations')),
          server.output(),
        ).toBe(true);
      } finally {
        await collector.close();
      }
    },
  );
});

describe('the bot image, replayed', () => {
  let image: ReplayedImage;
  let telegram: TelegramEmulator;
  beforeAll(async () => {
    telegram = await startTelegramEmulator();
    image = await replay('deploy/Dockerfile.bot');
    serverImage ??= await replay('deploy/Dockerfile.server');
  }, REPLAY_MS);
  afterAll(() => telegram?.close());

  it('holds only the compiled bot and its production dependencies', () => {
    expect(image.user).toBe('node');
    expectProductionOnly(image);
  });

  it('refuses to start without its configuration, naming what is missing', () => {
    const result = spawnSync(process.execPath, image.cmd.slice(1), {
      cwd: image.dir,
      env: { ...replayEnv(), ...image.env },
      encoding: 'utf8',
      timeout: 10_000,
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('TELEGRAM_BOT_TOKEN');
  });

  it('starts with node dist/main.js, passes its HEALTHCHECK and holds a conversation through the server image', async () => {
    const token = '123456:parley-replay-token';
    const key = 'replay-bot-key-0123456789';
    const parleyUrl = await startServerImage(serverImage as ReplayedImage, key);
    const env = { BOT_PORT: String(await freePort()), BOT_HOST: '127.0.0.1' };
    const bot = await start(
      image,
      {
        ...env,
        TELEGRAM_BOT_TOKEN: token,
        TELEGRAM_API_ROOT: telegram.apiRoot,
        PARLEY_URL: parleyUrl,
        PARLEY_API_KEY: key,
      },
      up(`http://127.0.0.1:${env.BOT_PORT}/health`),
    );
    expect(healthcheck(image, env)).toBe(0);
    // Its first getUpdates went through the bundled HTTP client (a bundle that broke node-fetch's
    // signal check died before sending it); the answer then streams back through both images.
    await Promise.race([telegram.waitForPolls(1), bot.exited]);
    const user = telegram.server.getClient(token, { userId: 77, chatId: 77, type: 'private' });
    const replies = () => Promise.race([waitForBotMessages(telegram, token, 77, 1), bot.exited]);
    model.script({ reply: 'Hello from both images, streamed', stream: { chunks: 8, intervalMs: 80 } });
    await user.sendMessage(user.makeMessage('hello images'));
    const [answer] = await replies();
    expect(answer?.text, bot.output()).toBe('Hello from both images, streamed');
    expect(telegram.drafts.some((d) => d.chatId === 77)).toBe(true);
    await user.sendCommand(user.makeCommand('/new'));
    const [started] = await replies();
    expect(started?.text).toMatch(/Started a new conversation/);
    // The bot polled again after the update came back: its client reads answers, not only sends.
    await Promise.race([telegram.waitForPolls(2), bot.exited]);
    expect(bot.child.exitCode, bot.output()).toBeNull();
    bot.child.kill('SIGTERM');
  });
});
