import { randomUUID } from 'node:crypto';
import { Agent, createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from 'redis';

/**
 * The baseline for the throughput benchmark: a bare node:http server doing the least I/O a turn of
 * ContinueConversation (by conversation_id, no request_id, no chat_id, no tools) needs, with the same
 * libraries as Parley:
 *   JSON parse → one ownership read → Redis SET NX PX (the cross-replica turn lock) → append the user
 *   message → read the recent window (60) → one chat completion → append the reply → Redis EVAL
 *   (compare-and-delete release) → JSON answer.
 * No framework, no validation beyond what the turn needs, no logging, no telemetry.
 * Env: PORT, DATA_DIR, REDIS_URL, REDIS_KEY_PREFIX, OPENAI_BASE_URL.
 */

/** The few better-sqlite3 calls used here (its types live in the server package). */
interface Statement {
  run(...params: unknown[]): unknown;
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
}
interface Database {
  pragma(sql: string): unknown;
  exec(sql: string): void;
  prepare(sql: string): Statement;
  transaction<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R;
  close(): void;
}

// better-sqlite3 is the server's dependency; load the very same build the server uses.
const requireFromServer = createRequire(new URL('../../server/package.json', import.meta.url));
const Sqlite = requireFromServer('better-sqlite3') as new (path: string) => Database;

const WINDOW = 60;
const LEASE_MS = 30_000;
const SYSTEM =
  'You are Parley, a helpful assistant reachable from chat apps, terminals and other services. ' +
  'Answer clearly and concisely.';
const RELEASE =
  "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

const env = process.env;
const prefix = env.REDIS_KEY_PREFIX ?? 'parley-bench-baseline:';
const model = new URL(`${env.OPENAI_BASE_URL ?? 'http://127.0.0.1:1/v1'}/chat/completions`);
const agent = new Agent({ keepAlive: true, maxSockets: 512 });

const db = new Sqlite(join(env.DATA_DIR ?? '.', 'baseline.db'));
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.exec(`CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY, client_id TEXT NOT NULL, user_id TEXT NOT NULL, last_seq INTEGER NOT NULL);
  CREATE TABLE IF NOT EXISTS messages (conversation_id TEXT NOT NULL, seq INTEGER NOT NULL, id TEXT NOT NULL,
    role TEXT NOT NULL, content TEXT NOT NULL, created_at INTEGER NOT NULL, PRIMARY KEY (conversation_id, seq));`);
const sql = {
  create: db.prepare('INSERT INTO conversations (id, client_id, user_id, last_seq) VALUES (?, ?, ?, 0)'),
  owned: db.prepare('SELECT id FROM conversations WHERE id = ? AND client_id = ? AND user_id = ?'),
  bump: db.prepare('UPDATE conversations SET last_seq = last_seq + 1 WHERE id = ? RETURNING last_seq'),
  insert: db.prepare('INSERT INTO messages VALUES (?, ?, ?, ?, ?, ?)'),
  recent: db.prepare(
    'SELECT role, content FROM messages WHERE conversation_id = ? ORDER BY seq DESC LIMIT ?',
  ),
};
const append = db.transaction((conversationId: string, role: string, content: string) => {
  const { last_seq: seq } = sql.bump.get(conversationId) as { last_seq: number };
  const id = randomUUID();
  const createdAt = Date.now();
  sql.insert.run(conversationId, seq, id, role, content, createdAt);
  return { id, seq, role, content, createdAt };
});

const redis = createClient({ url: env.REDIS_URL ?? 'redis://127.0.0.1:6379', disableOfflineQueue: true });
redis.on('error', () => {});
await redis.connect();

interface TurnBody {
  conversation_id?: string;
  message?: string;
  session?: { user_id?: string };
}

async function turn(body: TurnBody): Promise<[number, unknown]> {
  const id = body.conversation_id ?? '';
  const message = body.message ?? '';
  if (!message || !sql.owned.get(id, 'bench', body.session?.user_id ?? ''))
    return [404, { code: 'not_found' }];
  const lockKey = `${prefix}lock:conversation:${id}`;
  const token = randomUUID();
  // Wait for the lock as Parley does (a turn cut off by the load generator may still hold it).
  for (let tries = 0; (await redis.set(lockKey, token, { NX: true, PX: LEASE_MS })) === null; tries++) {
    if (tries === 200) return [409, { code: 'aborted' }];
    await sleep(5);
  }
  try {
    append(id, 'user', message);
    const recent = (sql.recent.all(id, WINDOW) as Array<{ role: string; content: string }>).reverse();
    const completion = await complete([{ role: 'system', content: SYSTEM }, ...recent]);
    const reply = append(id, 'assistant', completion.content);
    return [200, { conversation_id: id, reply, usage: completion.usage }];
  } finally {
    await redis.eval(RELEASE, { keys: [lockKey], arguments: [token] });
  }
}

interface Completion {
  content: string;
  usage: unknown;
}

function complete(messages: Array<{ role: string; content: string }>): Promise<Completion> {
  const payload = JSON.stringify({ model: 'gpt-4o-mini', messages });
  return new Promise((resolve, reject) => {
    const req = request(
      model,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
          authorization: 'Bearer bench',
        },
      },
      (res) => {
        readBody(res).then((text) => {
          const parsed = JSON.parse(text) as {
            choices: Array<{ message: { content: string } }>;
            usage: unknown;
          };
          resolve({ content: parsed.choices[0]?.message.content ?? '', usage: parsed.usage });
        }, reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

async function readBody(stream: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method === 'GET' && req.url === '/health') return send(res, 200, { status: 'ok' });
  const body = JSON.parse(await readBody(req)) as TurnBody & { user_id?: string };
  if (req.url === '/start') {
    const id = randomUUID();
    sql.create.run(id, 'bench', body.user_id ?? '');
    return send(res, 200, { conversation_id: id });
  }
  const [status, answer] = await turn(body);
  send(res, status, answer);
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

const server = createServer((req, res) => {
  handle(req, res).catch(() => send(res, 500, { code: 'internal' }));
});
server.keepAliveTimeout = 60_000;
server.listen(Number(env.PORT ?? 0), '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`BASELINE_URL=http://127.0.0.1:${port}\n`);
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    server.close();
    server.closeAllConnections();
    void redis.quit().finally(() => {
      db.close();
      process.exit(0);
    });
  });
}
