import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stopProcess } from './cli-processes.ts';
import { freePort, type TelegramEmulator } from './telegram-emulator.ts';

// Child processes for the Telegram end-to-end test: the real server and the real bot, each started the
// way people start them (`node --import tsx <entry>`), talking over loopback.

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface ChildService {
  readonly child: ChildProcess;
  /** Everything the process wrote so far (stdout and stderr), for failure messages. */
  output(): string;
  /** SIGTERM, then SIGKILL after 5 s; resolves once it has exited. */
  stop(): Promise<void>;
}

export interface ServerProcess extends ChildService {
  readonly url: string;
}

function spawnService(entry: string, env: Record<string, string>): ChildService {
  const child = spawn(process.execPath, ['--conditions=@parley/source', '--import', 'tsx', entry], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', OTEL_SDK_DISABLED: 'true', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return {
    child,
    output: () => output,
    stop: () => stopProcess(child),
  };
}

/** Starts server/src/main.ts on a free port and waits for GET /health to answer 200. */
export async function startServerProcess(env: Record<string, string>): Promise<ServerProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const service = spawnService('server/src/main.ts', { PORT: String(port), HOST: '127.0.0.1', ...env });
  await waitUntil(service, 'server /health', () =>
    fetch(`${url}/health`).then(
      (res) => res.status === 200,
      () => false,
    ),
  );
  return { ...service, url };
}

/** Starts bot/src/main.ts and waits for its "running" log line (it is polling by then). */
export async function startBotProcess(env: Record<string, string>): Promise<ChildService> {
  const service = spawnService('bot/src/main.ts', { LOG_LEVEL: 'info', ...env });
  await waitUntil(service, 'bot start', async () => service.output().includes('Parley bot is running'));
  return service;
}

async function waitUntil(service: ChildService, what: string, ready: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const { exitCode } = service.child;
    if (exitCode !== null) throw new Error(`${what}: exited with ${exitCode}:\n${service.output()}`);
    if (await ready()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await service.stop();
  throw new Error(`${what}: not ready within 20 s:\n${service.output()}`);
}

/** A message the bot sent, as the emulator stored it (the sendMessage parameters). */
export interface SentMessage {
  messageId: number;
  text: string;
  parse_mode?: string;
  reply_markup?: { inline_keyboard?: Array<Array<{ text: string; callback_data?: string }>> };
}

interface StoredBotUpdate {
  messageId: number;
  message: Omit<SentMessage, 'messageId'>;
}

/**
 * Collects the bot's messages to `chatId` until `until` holds (a count, or a test of what arrived so far),
 * or fails after `timeoutMs` listing what did arrive. Each message is returned once: the emulator marks
 * it read.
 */
export async function waitForBotMessages(
  emulator: TelegramEmulator,
  token: string,
  chatId: number,
  until: number | ((messages: SentMessage[]) => boolean),
  timeoutMs = 15_000,
): Promise<SentMessage[]> {
  const done = typeof until === 'number' ? (m: SentMessage[]) => m.length >= until : until;
  const messages: SentMessage[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`${emulator.server.config.apiURL}/getUpdates`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token, chatId }),
    });
    const { result } = (await res.json()) as { result: StoredBotUpdate[] };
    messages.push(...result.map((u) => ({ ...u.message, messageId: u.messageId })));
    if (done(messages)) return messages;
    if (Date.now() > deadline) {
      throw new Error(`bot messages in chat ${chatId} did not arrive; got: ${JSON.stringify(messages)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The whole Telegram stack of an end-to-end test: the server and the bot processes over a data dir. */
export interface BotStack {
  server: ServerProcess;
  bot: ChildService;
  dataDir: string;
  /** Stops both processes (the bot first) and removes the data dir. */
  stop(): Promise<void>;
}

/**
 * Starts the real server (on the stand-in model, with `serverEnv` added) and the real bot (on the
 * emulator, with `botEnv` added) as the bot end-to-end tests need them; SHOW_BOT_LOG=1 prints the
 * bot's log at stop.
 */
export async function startBotStack(options: {
  token: string;
  botKey: string;
  modelUrl: string;
  emulator: TelegramEmulator;
  serverEnv?: Record<string, string>;
  botEnv?: Record<string, string>;
}): Promise<BotStack> {
  const dataDir = await mkdtemp(join(tmpdir(), 'parley-e2e-'));
  const server = await startServerProcess({
    API_KEYS: `bot=${options.botKey}`,
    DATA_DIR: dataDir,
    HOME: dataDir,
    OPENAI_BASE_URL: options.modelUrl,
    OPENAI_API_KEY: 'test',
    OPENAI_MAX_RETRIES: '0',
    GENERATE_TITLES: 'false',
    LOG_LEVEL: 'warn',
    ...options.serverEnv,
  });
  const bot = await startBotProcess({
    TELEGRAM_BOT_TOKEN: options.token,
    TELEGRAM_API_ROOT: options.emulator.apiRoot,
    PARLEY_URL: server.url,
    PARLEY_API_KEY: options.botKey,
    RPC_TIMEOUT_MS: '10000',
    HOME: dataDir,
    ...options.botEnv,
  }).catch(async (err: unknown) => {
    await server.stop();
    throw err;
  });
  return {
    server,
    bot,
    dataDir,
    async stop() {
      if (process.env.SHOW_BOT_LOG) console.log(bot.output());
      await bot.stop();
      await server.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
