import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type PrivateRedis, startPrivateRedis } from '../support/private-redis.ts';
import { callJson, startConversations } from './fixtures.ts';
import { startModel, startParley } from './servers.ts';

/** What one ContinueConversation asks of Redis, for one way of calling it. */
export interface RedisTripsCase {
  name: string;
  /** Round trips per turn: commands the server sent, a MULTI…EXEC counted once. */
  roundTrips: number;
  /** Commands the server sent per turn (scripts count once; their inner calls are not counted). */
  commands: Record<string, number>;
}

const CASES: Array<{ name: string; body: (id: string, userId: string, i: number) => unknown }> = [
  {
    name: 'by conversation_id',
    body: (id, userId) => ({
      conversation_id: id,
      message: 'hi',
      session: { platform: 'bench', user_id: userId },
    }),
  },
  {
    name: 'by chat (session lookup)',
    body: (_id, userId) => ({ message: 'hi', session: { platform: 'bench', user_id: userId, chat_id: 'c' } }),
  },
  {
    name: 'by chat, with a request_id',
    body: (_id, userId, i) => ({
      message: 'hi',
      session: { platform: 'bench', user_id: userId, chat_id: 'c' },
      request_id: `trips-${i}`,
    }),
  },
];

/**
 * Counts the Redis round trips of a unary turn by watching a private redis-server with MONITOR (nobody
 * else's traffic shares it). Turns run one at a time after a warm-up; commands Lua scripts make are
 * left out, as they cost no round trip.
 */
export async function measureRedisTrips(turns = 100): Promise<RedisTripsCase[]> {
  const redis = await startPrivateRedis();
  const model = await startModel();
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-trips-'));
  const server = await startParley({
    name: 'parley (redis trips)',
    modelUrl: model.url,
    dataDir,
    redisUrl: redis.url,
    redisPrefix: 'trips:',
  });
  try {
    const [conversation] = await startConversations(server.url, 1, 'trips-');
    if (!conversation) throw new Error('no conversation');
    const results: RedisTripsCase[] = [];
    for (const c of CASES) {
      const body = (i: number) => c.body(conversation.id, conversation.userId, i);
      for (let i = 0; i < 10; i++) await callJson(server.url, 'ContinueConversation', body(-1 - i));
      const monitor = await startMonitor(redis);
      for (let i = 0; i < turns; i++) await callJson(server.url, 'ContinueConversation', body(i));
      // Relay writes may land just after the response.
      await new Promise((resolve) => setTimeout(resolve, 300));
      results.push({ name: c.name, ...tally(monitor.stop(), turns) });
    }
    return results;
  } finally {
    await server.proc.stop();
    await model.proc.stop();
    await redis.kill();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function startMonitor(redis: PrivateRedis): Promise<{ stop(): string[] }> {
  const child: ChildProcess = spawn('redis-cli', ['-p', String(redis.port), 'monitor']);
  let text = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    text += chunk.toString('utf8');
  });
  await new Promise<void>((resolve) => {
    child.stdout?.once('data', () => resolve());
  });
  return {
    stop() {
      child.kill();
      return text.split('\n').filter((line) => /^\d+\.\d+ \[\d+ \d/.test(line));
    },
  };
}

function tally(lines: string[], turns: number): Omit<RedisTripsCase, 'name'> {
  const commands: Record<string, number> = {};
  let trips = 0;
  let inMulti = false;
  for (const line of lines) {
    const name = /\] "([^"]+)"/.exec(line)?.[1]?.toLowerCase() ?? '?';
    commands[name] = (commands[name] ?? 0) + 1 / turns;
    if (!inMulti) trips++;
    if (name === 'multi') inMulti = true;
    if (name === 'exec') inMulti = false;
  }
  for (const key of Object.keys(commands)) commands[key] = Math.round((commands[key] ?? 0) * 100) / 100;
  return { roundTrips: Math.round((trips / turns) * 100) / 100, commands };
}

if (process.argv[1]?.endsWith('redis-trips.ts')) {
  console.log(JSON.stringify(await measureRedisTrips(), null, 2));
}
