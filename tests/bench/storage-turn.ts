import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedConversationStore } from '../../server/src/conversations/embedded-conversation-store.ts';
import { EmbeddedIdentityStore } from '../../server/src/people/embedded-identity-store.ts';
import { People } from '../../server/src/people/people.ts';
import { EmbeddedUsageLedger } from '../../server/src/policy/embedded-usage-ledger.ts';

// The storage calls one turn makes on the embedded default (SQLite), in the turn's order, through the
// real stores, on files in a temporary folder: CPU time (user + sys) per turn and per step, over
// BENCH_TURNS (4,000) turns after BENCH_WARMUP (1,000). Repeatable under load where end-to-end runs are
// not. BENCH_KIND=start (StartConversation with a message) or continue (ContinueConversation by id).
// Run from tests/: node --conditions=@parley/source --import tsx bench/storage-turn.ts

const env = process.env;
const turns = Number(env.BENCH_TURNS ?? 4000);
const warmup = Number(env.BENCH_WARMUP ?? 1000);
const kind = env.BENCH_KIND === 'continue' ? 'continue' : 'start';
const users = 60;
const WINDOW = 60;

const dir = await mkdtemp(join(tmpdir(), 'parley-storage-turn-'));
const store = new EmbeddedConversationStore({ path: join(dir, 'parley.db') });
const ledger = new EmbeddedUsageLedger({ path: join(dir, 'usage.db') });
const identities = new EmbeddedIdentityStore({ path: join(dir, 'people.db') });
const people = new People({ store: identities, clock: () => new Date() });

const steps = new Map<string, number>();
function cpuUs(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}
async function step<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const from = cpuUs();
  const result = await fn();
  steps.set(name, (steps.get(name) ?? 0) + cpuUs() - from);
  return result;
}

const continued: string[] = [];
for (let u = 0; u < users; u++) {
  const owner = { clientId: 'bench', userId: `u-${u}` };
  const c = await store.create({ owner, title: 't', platform: '', chatId: '' });
  continued.push(c.id);
}

async function turn(i: number): Promise<void> {
  const owner = { clientId: 'bench', userId: `u-${i % users}` };
  await step('controls', () => ledger.controls(owner));
  const acting = await step('personOf', () => people.resolve(owner));
  await step('language', () => people.language(acting));
  let id = continued[i % users] ?? '';
  const question = { role: 'user' as const, content: `question ${i}` };
  if (kind === 'start') {
    // A new conversation is stored with its first message; nothing reads it back.
    const created = await step('create + user', () =>
      store.createWithMessage({ owner, title: 'hello', platform: 'bench', chatId: `c-${i}` }, question),
    );
    id = created.conversation.id;
  } else {
    await step('get', () => store.get(id, acting));
    await step('append user', () => store.append(id, question));
  }
  await step('recent', () => store.recentMessages(id, WINDOW));
  await step('append reply', () =>
    store.append(id, { role: 'assistant', content: `an answer of some length ${i}`, toolCalls: [] }),
  );
  await step('charge', () =>
    ledger.charge(owner, 'gpt-4o-mini', '2026-12-06', { inputTokens: 30, outputTokens: 9, costMicros: 12 }),
  );
}

try {
  for (let i = 0; i < warmup; i++) await turn(i);
  steps.clear();
  const from = cpuUs();
  for (let i = 0; i < turns; i++) await turn(warmup + i);
  const total = cpuUs() - from;
  process.stdout.write(`${kind}: ${(total / turns).toFixed(1)} µs of CPU a turn over ${turns} turns\n`);
  for (const [name, us] of steps)
    process.stdout.write(`  ${name.padEnd(14)} ${(us / turns).toFixed(1)} µs\n`);
} finally {
  await Promise.all([store.close(), ledger.close(), identities.close()]);
  await rm(dir, { recursive: true, force: true });
}
