import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'redis';
import { startPrivateRedis } from '../support/private-redis.ts';
import { callJson, startConversations } from './fixtures.ts';
import { cpuTimeMs } from './processes.ts';
import { startModel, startParley } from './servers.ts';

/** Redis commands one ContinueConversation sends, by command, for each way a client calls it. */
export interface RedisTripsResult {
  turns: number;
  /** Commands per turn: by conversation_id; by chat (session lookup); with a request_id too. */
  cases: Array<{ name: string; perTurn: number; byCommand: Record<string, number> }>;
  /** Server CPU per sequential turn in the same run (all cases together). */
  cpuMsPerTurn: number | null;
}

/**
 * Counts the Redis commands a turn sends, on a private redis-server (INFO commandstats counts every
 * command, so nobody else's traffic may share it). Turns run one at a time after a warm-up.
 */
export async function measureRedisTrips(turns = 200): Promise<RedisTripsResult> {
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
  const admin = createClient({ url: redis.url });
  await admin.connect();
  try {
    const [conversation] = await startConversations(server.url, 1, 'trips-');
    if (!conversation) throw new Error('no conversation');
    const session = { platform: 'bench', user_id: conversation.userId };
    const chatSession = { ...session, chat_id: 'trips-chat' };
    const cases: Array<{ name: string; body: (i: number) => unknown }> = [
      { name: 'conversation_id', body: () => ({ conversation_id: conversation.id, message: 'hi', session }) },
      { name: 'chat session', body: () => ({ message: 'hi', session: chatSession }) },
      {
        name: 'chat session + request_id',
        body: (i) => ({ message: 'hi', session: chatSession, request_id: `trips-${i}` }),
      },
    ];
    const results: RedisTripsResult['cases'] = [];
    let cpuMs = 0;
    for (const c of cases) {
      for (let i = 0; i < 20; i++) await callJson(server.url, 'ContinueConversation', c.body(-1 - i));
      await admin.configResetStat();
      const cpuBefore = cpuTimeMs(server.proc.pid) ?? Number.NaN;
      for (let i = 0; i < turns; i++) await callJson(server.url, 'ContinueConversation', c.body(i));
      cpuMs += (cpuTimeMs(server.proc.pid) ?? Number.NaN) - cpuBefore;
      const byCommand = parseCommandStats(await admin.info('commandstats'));
      delete byCommand.config;
      delete byCommand.info;
      const total = Object.values(byCommand).reduce((a, b) => a + b, 0);
      const perCommand = Object.fromEntries(Object.entries(byCommand).map(([k, v]) => [k, v / turns]));
      results.push({ name: c.name, perTurn: total / turns, byCommand: perCommand });
    }
    const cpuMsPerTurn = Number.isFinite(cpuMs) ? cpuMs / (turns * cases.length) : null;
    return { turns, cases: results, cpuMsPerTurn };
  } finally {
    await admin.quit();
    await server.proc.stop();
    await model.proc.stop();
    await redis.kill();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function parseCommandStats(info: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    if (match[1] && match[2]) out[match[1]] = Number(match[2]);
  }
  return out;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '')) {
  console.log(JSON.stringify(await measureRedisTrips(), null, 2));
}
