import { randomUUID } from 'node:crypto';
import { Agent, request } from 'node:http';
import type { ProcessReport } from './memory-probe.ts';
import { msSince, PIECE_PATTERN } from './piece-stamp.ts';
import { type BenchProcess, machineCpuTicks, readMemory, treeCpuMs } from './processes.ts';
import { type Percentiles, percentiles, readLoop } from './streaming.ts';

// The streaming relay benchmark (issue 18): the compiled server's SSE endpoint next to a bare node:http
// relay (relay-baseline.ts), same stand-in pacing 8-character pieces like a real model, at several
// numbers of concurrent streams. Each stream is kept open by one worker that starts the next as soon as
// one ends; every tenth stream hangs up early. The client is a raw node:http reader that only looks for
// the stand-in's stamps, so its own cost stays small next to the servers'.

export interface RelayTarget {
  name: string;
  url: string;
  /** The SSE route, e.g. `/sse/parley.chat.v1.ChatService/StartConversation`. */
  path: string;
  headers: Record<string, string>;
  body(worker: number, message: string): string;
  /** The server's process: CPU (with its children), memory and event-loop lag (its memory probe). */
  proc: BenchProcess;
}

export interface RelayPacing {
  pieces: number;
  intervalMs: number;
  /** Seconds the streams are kept up (new ones started); those running then finish. */
  seconds: number;
}

export interface RelayRow {
  server: string;
  streams: number;
  /** Streams opened, answered in full, cut by the client on purpose, and failed. */
  opened: number;
  completed: number;
  hungUp: number;
  errors: number;
  firstError?: string;
  pieces: number;
  seconds: number;
  cpuMs: number;
  cpuUsPerPiece: number;
  cpuMsPerStream: number;
  /**
   * How busy the whole machine was meanwhile (0–1, every core): the server, the load generator, the
   * stand-in, Redis and anything else running. Near 1, every process waits for a core.
   */
  machineBusy: number;
  /** The request sent → its first text at the client, ms. */
  firstDelta: Percentiles;
  /**
   * The same for the streams sent after the first {@link STEADY_AFTER_MS} ms, once all were open: the
   * opening second sends every stream's first request (600 in a second at 600 streams), later ones
   * follow as streams end.
   */
  firstDeltaSteady: Percentiles;
  /** The first text at the client minus the stand-in sending it: what the server adds, ms. */
  firstTextOverhead: Percentiles;
  /** Every later piece, the stand-in sending it → the client reading it, ms. */
  pieceDelay: Percentiles;
  /** The request sent → its new connection established (when it opened one), and → the response's headers, ms. */
  connect: Percentiles;
  responseHeaders: Percentiles;
  /** The worst process's (a pool's workers and primary each measured). */
  loopLagP99Ms: number;
  loopLagMaxMs: number;
  /** Each process of a pool: its loop lag, the requests it took, its time inside SQLite calls. */
  processes?: ProcessReport[];
  rssStartMiB: number;
  rssPeakMiB: number;
}

interface Tally {
  opened: number;
  completed: number;
  hungUp: number;
  errors: number;
  firstError?: string;
  pieces: number;
  firstDelta: number[];
  /** The first deltas of streams sent once every stream had been opened (after the first second). */
  firstDeltaSteady: number[];
  /** When the run began (performance.now()). */
  began: number;
  firstText: number[];
  pieceDelay: number[];
  connect: number[];
  headers: number[];
}

type Outcome = 'completed' | 'hung up' | string;

/** Streams are opened over the first second; from two seconds on, new ones replace those that ended. */
const STEADY_AFTER_MS = 2000;

/** One stream: reads until the server ends it, or hangs up after `hangUpAfter` pieces. */
function oneStream(
  agent: Agent,
  target: RelayTarget,
  worker: number,
  pacing: RelayPacing,
  hangUpAfter: number,
  tally: Tally,
) {
  return new Promise<Outcome>((resolve) => {
    const sent = performance.now();
    let carry = '';
    let received = 0;
    let failed = '';
    let finished = false;
    let over = false;
    const req = request(`${target.url}${target.path}`, { method: 'POST', agent, headers: target.headers });
    const settle = (outcome: Outcome) => {
      if (finished) return;
      finished = true;
      resolve(outcome);
    };
    req.on('socket', (socket) => {
      if (socket.connecting) socket.once('connect', () => tally.connect.push(performance.now() - sent));
    });
    req.on('error', (err) => settle(received >= hangUpAfter ? 'hung up' : `request: ${err.message}`));
    req.on('response', (res) => {
      tally.headers.push(performance.now() - sent);
      if (res.statusCode !== 200) failed = `HTTP ${res.statusCode}`;
      res.setEncoding('utf8');
      res.on('data', (text: string) => {
        if (over) return;
        const buffer = carry + text;
        // `done` carries the whole reply again: only the deltas before it count.
        const doneAt = buffer.indexOf('event: done');
        if (doneAt >= 0) over = true;
        let end = 0;
        for (const match of buffer.matchAll(PIECE_PATTERN)) {
          if (doneAt >= 0 && (match.index ?? 0) > doneAt) break;
          const delay = msSince(match[1] ?? '');
          if (received === 0) {
            tally.firstDelta.push(performance.now() - sent);
            if (sent - tally.began >= STEADY_AFTER_MS) tally.firstDeltaSteady.push(performance.now() - sent);
            tally.firstText.push(delay);
          } else tally.pieceDelay.push(delay);
          received++;
          end = (match.index ?? 0) + match[0].length;
        }
        if (!failed && buffer.includes('event: error')) failed = errorText(buffer);
        carry = buffer.slice(Math.max(end, buffer.length - 64));
        if (received >= hangUpAfter) {
          req.destroy();
          settle('hung up');
        }
      });
      res.on('end', () => settle(failed || (received > 0 ? 'completed' : 'no pieces')));
      res.on('error', () => settle(failed || 'response cut'));
    });
    req.end(target.body(worker, `piece:${pacing.pieces}x${pacing.intervalMs}`));
  }).then((outcome) => {
    if (outcome === 'completed') tally.completed++;
    else if (outcome === 'hung up') tally.hungUp++;
    else {
      tally.errors++;
      tally.firstError ??= outcome;
    }
  });
}

function errorText(buffer: string): string {
  const at = buffer.indexOf('event: error');
  return buffer.slice(at, at + 200).replaceAll('\n', ' ');
}

/** `streams` concurrent streams kept up for `pacing.seconds`, opened over the first second. */
export async function relayRun(target: RelayTarget, streams: number, pacing: RelayPacing): Promise<RelayRow> {
  const tally: Tally = {
    opened: 0,
    completed: 0,
    hungUp: 0,
    errors: 0,
    pieces: 0,
    firstDelta: [],
    firstDeltaSteady: [],
    began: 0,
    firstText: [],
    pieceDelay: [],
    connect: [],
    headers: [],
  };
  const { proc } = target;
  const rssStart = (await readMemory(proc))?.rss ?? 0;
  let rssPeak = rssStart;
  const sampler = setInterval(() => {
    void readMemory(proc).then((m) => {
      if (m && m.rss > rssPeak) rssPeak = m.rss;
    });
  }, 500);
  // Its own keep-alive agent: a socket left idle by the previous row may be closed by the server's
  // keep-alive timeout just as this row reuses it (ECONNRESET under load, seen between two Parley rows).
  const agent = new Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });
  proc.child.send('loop-start');
  const cpuBefore = treeCpuMs(proc.pid);
  const machineBefore = machineCpuTicks();
  const began = performance.now();
  tally.began = began;
  const until = Date.now() + pacing.seconds * 1000;
  await Promise.all(
    Array.from({ length: streams }, async (_, worker) => {
      await new Promise((resolve) => setTimeout(resolve, (worker * 1000) / streams));
      for (let n = 0; Date.now() < until; n++) {
        // Every tenth stream hangs up after a few pieces, somewhere in the first half of the reply.
        const early = (worker + n) % 10 === 9;
        const hangUpAfter = early ? 3 + ((worker * 7 + n) % (pacing.pieces / 2)) : Number.POSITIVE_INFINITY;
        tally.opened++;
        await oneStream(agent, target, worker, pacing, hangUpAfter, tally);
      }
    }),
  );
  const seconds = (performance.now() - began) / 1000;
  agent.destroy();
  const cpuMs = treeCpuMs(proc.pid) - cpuBefore;
  const machineAfter = machineCpuTicks();
  const machineBusy =
    (machineAfter.busy - machineBefore.busy) / Math.max(1, machineAfter.total - machineBefore.total);
  clearInterval(sampler);
  const loop = await readLoop(proc);
  tally.pieces = tally.firstText.length + tally.pieceDelay.length;
  const mib = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;
  return {
    server: target.name,
    streams,
    opened: tally.opened,
    completed: tally.completed,
    hungUp: tally.hungUp,
    errors: tally.errors,
    ...(tally.firstError ? { firstError: tally.firstError } : {}),
    pieces: tally.pieces,
    seconds,
    cpuMs,
    cpuUsPerPiece: (cpuMs * 1000) / Math.max(1, tally.pieces),
    cpuMsPerStream: cpuMs / Math.max(1, tally.opened),
    machineBusy,
    firstDelta: percentiles(tally.firstDelta),
    firstDeltaSteady: percentiles(tally.firstDeltaSteady),
    firstTextOverhead: percentiles(tally.firstText),
    pieceDelay: percentiles(tally.pieceDelay),
    connect: percentiles(tally.connect),
    responseHeaders: percentiles(tally.headers),
    loopLagP99Ms: loop?.p99 ?? Number.NaN,
    loopLagMaxMs: loop?.max ?? Number.NaN,
    ...(loop?.processes ? { processes: loop.processes } : {}),
    rssStartMiB: mib(rssStart),
    rssPeakMiB: mib(rssPeak),
  };
}

/**
 * Streams through a freshly started server, unmeasured, before its first measured run, so the run
 * measures a warm server's code rather than start-up's one-time compilation: first short streams (2
 * pieces) for BENCH_WARMUP_SHORT_SECONDS (8; 0 skips them), then 3 s of streams paced as measured.
 * The short streams are for the code a stream runs once (its request, storage, the model call): V8
 * hands a function to its optimizing compiler only after it has run about 3,000 times (fewer when it
 * loops; Node 22 runs without Maglev), so that code is optimized only after thousands of streams, as in
 * any server that has run a while, but not within a bench level of a few hundred streams (measured at
 * 100 streams: Parley 71 → 53–63 µs a piece, the bare relay 37 → 31–35). Both servers get it.
 */
export async function relayWarmUp(target: RelayTarget, pacing: RelayPacing, streams = 100): Promise<void> {
  const shortSeconds = warmUpShortSeconds();
  if (shortSeconds > 0) await relayRun(target, streams, { ...pacing, pieces: 2, seconds: shortSeconds });
  await relayRun(target, streams, { ...pacing, seconds: 3 });
  await new Promise((resolve) => setTimeout(resolve, 1_000));
}

/** Seconds of 2-piece streams {@link relayWarmUp} runs first (BENCH_WARMUP_SHORT_SECONDS, 8). */
export function warmUpShortSeconds(): number {
  return Number(process.env.BENCH_WARMUP_SHORT_SECONDS ?? 8);
}

/** The SSE body of a Parley stream: a new conversation per stream, a request_id as the CLI sends. */
export function parleyStreamBody(worker: number, message: string): string {
  return JSON.stringify({
    message,
    session: { platform: 'bench', user_id: `relay-${worker}` },
    request_id: randomUUID(),
  });
}
