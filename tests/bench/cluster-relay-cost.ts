import cluster, { type Worker } from 'node:cluster';
import { createLogger } from '@parley/logger';
import { isRelayMessage, type ToHubBody } from '../../server/src/coordination/cluster-relay-messages.ts';
import { ClusterTurnRelay } from '../../server/src/coordination/cluster-turn-relay.ts';
import { TurnRelayHub } from '../../server/src/coordination/turn-relay-hub.ts';
import { encodeEvent } from '../../server/src/turns/turn-event.ts';
import { workerChannel } from '../../server/src/worker-pool.ts';

// What following a turn across the workers of a pool (no Redis) costs in CPU, over real node:cluster IPC:
// a primary with the TurnRelayHub wired as worker-pool.ts wires it, one worker running turns, one
// following them. Phase 1: BENCH_TURNS (2,000) turns nobody follows (offered and withdrawn, as the turn
// engine does for every turn with a request_id). Phase 2: BENCH_TURNS turns each followed from the other
// worker, BENCH_CONCURRENT (100) at a time: a read and an attendance mark, the owner's replay, 20 publishes
// of one merged delta (a 4 s reply at 25 pieces a second, batched per 200 ms), the last event, and 4
// `attended` questions (one per grace while the owner's own client is gone). Prints CPU per turn in
// each process. Run from tests/: node --conditions=@parley/source --import tsx bench/cluster-relay-cost.ts

const TURNS = Number(process.env.BENCH_TURNS ?? 2_000);
const CONCURRENT = Number(process.env.BENCH_CONCURRENT ?? 100);
const PUBLISHES = 20;
const ASKS = 4;

type Control =
  | { bench: 'run'; phase: 'unfollowed' | 'offer' | 'follow' }
  | { bench: 'done'; phase: string; cpuUs: number; messages?: number };

const cpuUs = (since: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(since);
  return used.user + used.system;
};

if (cluster.isPrimary) await primary();
else worker();

async function primary(): Promise<void> {
  let messages = 0;
  const hub = new TurnRelayHub({
    transport: {
      send: (id, message) => {
        const to = cluster.workers?.[id];
        if (to?.isConnected()) to.send(message);
      },
      workers: () => Object.values(cluster.workers ?? {}).flatMap((w) => (w?.isConnected() ? [w.id] : [])),
    },
  });
  const replies = new Map<number, (message: Control & { bench: 'done' }) => void>();
  cluster.on('message', (from, message: unknown) => {
    if (isRelayMessage(message)) {
      messages++;
      hub.receive(from.id, message as unknown as ToHubBody);
    } else replies.get(from.id)?.(message as Control & { bench: 'done' });
  });
  const owner = cluster.fork();
  const follower = cluster.fork();
  await Promise.all([owner, follower].map((w) => new Promise((resolve) => w.once('online', resolve))));
  const reply = (from: Worker) =>
    new Promise<Control & { bench: 'done' }>((resolve) => replies.set(from.id, resolve));
  const run = (to: Worker, phase: 'unfollowed' | 'offer' | 'follow') => {
    const answered = reply(to);
    to.send({ bench: 'run', phase } satisfies Control);
    return answered;
  };

  let since = process.cpuUsage();
  const unfollowed = await run(owner, 'unfollowed');
  const primaryUnfollowed = cpuUs(since);
  console.log(
    `turns nobody follows (${TURNS}): owner ${(unfollowed.cpuUs / TURNS).toFixed(2)} µs CPU a turn, ` +
      `primary ${(primaryUnfollowed / TURNS).toFixed(2)} µs a turn, ${messages} IPC messages`,
  );

  await run(owner, 'offer');
  messages = 0;
  since = process.cpuUsage();
  const ownerDone = reply(owner);
  const followed = await run(follower, 'follow');
  const primaryFollowed = cpuUs(since);
  const ownerFollowed = await ownerDone;
  const ms = (us: number) => (us / TURNS / 1000).toFixed(3);
  console.log(
    `turns followed from the other worker (${TURNS}, ${CONCURRENT} at a time): primary ${ms(primaryFollowed)} ms ` +
      `CPU a turn (${(messages / TURNS).toFixed(1)} messages a turn, ${(primaryFollowed / messages).toFixed(1)} µs each), ` +
      `owner ${ms(ownerFollowed.cpuUs)} ms, follower ${ms(followed.cpuUs)} ms`,
  );
  hub.close();
  for (const w of [owner, follower]) w.kill();
}

function worker(): void {
  const logger = createLogger({ name: 'bench', level: 'silent', pretty: false });
  const relay = new ClusterTurnRelay({ channel: workerChannel(), logger });
  const started = encodeEvent({ type: 'started', conversationId: 'c'.repeat(24), isNew: false });
  const delta = encodeEvent({ type: 'delta', text: 'eight ch'.repeat(5) });
  const done = encodeEvent({
    type: 'error',
    error: { code: 'canceled', message: 'x'.repeat(400), meta: {} },
  });
  let ownerSince: NodeJS.CpuUsage | undefined;
  let owned = 0;

  process.on('message', (message: Control) => {
    if (message.bench !== 'run') return;
    const since = process.cpuUsage();
    const report = (phase: string, from = since) =>
      process.send?.({ bench: 'done', phase, cpuUs: cpuUs(from) } satisfies Control);
    if (message.phase === 'unfollowed') {
      for (let i = 0; i < TURNS; i++) relay.offer(`u${i}`, () => [started]).withdraw();
      report('unfollowed');
    } else if (message.phase === 'offer') {
      for (let i = 0; i < TURNS; i++) {
        const offer = relay.offer(`f${i}`, () => {
          ownerSince ??= process.cpuUsage();
          void runTurn(`f${i}`).then(() => {
            offer.withdraw();
            if (++owned === TURNS) report('owner', ownerSince);
          });
          return [started];
        });
      }
      report('offered');
    } else if (cluster.worker?.id === 2) {
      void followAll().then(() => report('follower'));
    }
  });

  async function runTurn(key: string): Promise<void> {
    for (let i = 0; i < PUBLISHES; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      await relay.publish(key, [delta]);
      if (i % (PUBLISHES / ASKS) === 0) await relay.attended(key);
    }
    await relay.publish(key, [done]);
  }

  async function followAll(): Promise<void> {
    let next = 0;
    const follow = async () => {
      while (next < TURNS) {
        const key = `f${next++}`;
        const mark = relay.attend(key);
        const controller = new AbortController();
        for await (const event of relay.read(key, { signal: controller.signal, idleMs: 30_000 })) {
          if (event === done) break;
        }
        mark.leave();
      }
    };
    await Promise.all(Array.from({ length: CONCURRENT }, follow));
  }
}
