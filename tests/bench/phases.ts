import { setTimeout as sleep } from 'node:timers/promises';
import { DescribeConversationRequest } from '@parley/rpc';
import { AUTH, continueBody, JSON_HEADERS, type PrefilledGroup, TWIRP } from './fixtures.ts';
import { combine, type LoadResult, runLoad, Samples } from './load.ts';
import { type BenchProcess, cpuTimeMs, type MemorySample, readMemory } from './processes.ts';
import { monotonicUs } from './profile.ts';
import type { RunningServer } from './servers.ts';

type Conversation = { id: string; userId: string };

const CONTINUE = `${TWIRP}/ContinueConversation`;

/** A server taking turns: Parley (`/twirp/.../ContinueConversation`) or the baseline (`/turn`). */
export interface TurnTarget {
  baseUrl: string;
  path: string;
  /** The server's process, for its CPU time. */
  pid: number;
  conversations: Conversation[];
}

export const parleyTarget = (server: RunningServer, conversations: Conversation[]): TurnTarget => ({
  baseUrl: server.url,
  path: CONTINUE,
  pid: server.proc.pid,
  conversations,
});

export const baselineTarget = (server: RunningServer, conversations: Conversation[]): TurnTarget => ({
  baseUrl: server.url,
  path: '/turn',
  pid: server.proc.pid,
  conversations,
});

/**
 * Turns at `connections`, each connection on its own conversation (turns never queue on a lock), with
 * the CPU time the server process spent per turn.
 */
export async function turnLoad(
  target: TurnTarget,
  connections: number,
  durationSec: number,
  into?: Samples,
): Promise<LoadResult> {
  const before = cpuTimeMs(target.pid);
  const load = await runLoad({
    url: `${target.baseUrl}${target.path}`,
    connections,
    durationSec,
    headers: JSON_HEADERS,
    bodyFor: (i) => bodyOf(target.conversations, i),
    ...(into ? { into } : {}),
  });
  const after = cpuTimeMs(target.pid);
  if (before !== null && after !== null)
    load.serverCpuMsPerRequest = (after - before) / Math.max(1, load.requests);
  return load;
}

/**
 * Two servers in alternating half-length slices (A B B A): on a shared, noisy machine, drift then hits
 * both alike, and their ratio means something.
 */
export async function interleaved(
  a: TurnTarget,
  b: TurnTarget,
  connections: number,
  durationSec: number,
  modelUrl: string,
): Promise<[LoadResult, LoadResult]> {
  const pools = [new Samples(), new Samples()] as const;
  const runs: [LoadResult[], LoadResult[]] = [[], []];
  for (const which of [0, 1, 1, 0] as const) {
    await settle(modelUrl);
    runs[which].push(await turnLoad(which === 0 ? a : b, connections, durationSec / 2, pools[which]));
  }
  return [combine(runs[0], pools[0]), combine(runs[1], pools[1])];
}

function bodyOf(conversations: Conversation[], i: number): string {
  const conversation = conversations[i % conversations.length];
  if (!conversation) throw new Error('no conversations');
  return continueBody(conversation.id, conversation.userId);
}

/**
 * The unary load a CPU profile is read over: a warm-up (`warm` connections for `warmSec`), the model
 * stand-in settled, then `connections` for `seconds` between two marks of the profiler's clock.
 */
export async function profiledTurnLoad(
  target: TurnTarget,
  modelUrl: string,
  options: { warm: number; warmSec: number; connections: number; seconds: number },
): Promise<{ load: LoadResult; window: { fromUs: number; toUs: number } }> {
  await turnLoad(target, options.warm, options.warmSec);
  await settle(modelUrl);
  const fromUs = monotonicUs();
  const load = await turnLoad(target, options.connections, options.seconds);
  return { load, window: { fromUs, toUs: monotonicUs() } };
}

export interface ModelStats {
  requests: number;
  lastPromptMessages: number;
  lastPromptChars: number;
  lastPromptTokens: number;
  lastBodyBytes: number;
  promptTokensTotal: number;
}

export async function modelStats(modelUrl: string, reset = false): Promise<ModelStats> {
  const root = modelUrl.replace(/\/v1$/, '');
  const res = await fetch(`${root}/stats${reset ? '/reset' : ''}`, { method: reset ? 'POST' : 'GET' });
  return (await res.json()) as ModelStats;
}

/**
 * Waits until the model stand-in has had no request for `quietMs`: turns whose client the load
 * generator cut off at the end of a run still finish on the server, and must not spill into the next.
 */
export async function settle(modelUrl: string, quietMs = 300, maxMs = 15_000): Promise<void> {
  const until = Date.now() + maxMs;
  let last = (await modelStats(modelUrl)).requests;
  while (Date.now() < until) {
    await sleep(quietMs);
    const now = (await modelStats(modelUrl)).requests;
    if (now === last) return;
    last = now;
  }
}

export interface GrowthRow {
  size: number;
  load: LoadResult;
  /** Mean prompt tokens per model call over the run (the stand-in's four-characters-a-token count). */
  promptTokens: number;
  /** What the last turn of the run sent to the model. */
  promptMessages: number;
  promptBytes: number;
  /** Chat-completion calls per turn (more than 1 means summaries were made). */
  modelCallsPerTurn: number;
  /** Messages a conversation held when its last measured turn started. */
  sizeAtEnd: number;
}

/**
 * One connection, `turns` turns per history size, spread over each group's conversations in rotation so
 * every conversation stays close to its size (each turn adds two messages). The sizes take turns in
 * slices (A B C C B A …) so that drift on a shared machine does not favour whichever runs last.
 */
export async function growth(
  baseUrl: string,
  modelUrl: string,
  groups: PrefilledGroup[],
  turns: number,
  rounds = 4,
): Promise<GrowthRow[]> {
  const state = groups.map((group) => ({
    group,
    next: 0,
    samples: new Samples(),
    runs: [] as LoadResult[],
    modelCalls: 0,
    promptTokens: 0,
    last: null as ModelStats | null,
  }));
  const slice = Math.max(1, Math.ceil(turns / rounds));
  for (let round = 0; round < rounds; round++) {
    for (const s of round % 2 === 0 ? state : [...state].reverse()) {
      await settle(modelUrl);
      await modelStats(modelUrl, true);
      const load = await runLoad({
        url: `${baseUrl}${CONTINUE}`,
        connections: 1,
        amount: slice,
        headers: JSON_HEADERS,
        bodyOf: () => bodyOf(s.group.conversations, s.next++),
        into: s.samples,
      });
      const stats = await modelStats(modelUrl);
      s.runs.push(load);
      s.modelCalls += stats.requests;
      s.promptTokens += stats.promptTokensTotal;
      s.last = stats;
    }
  }
  return state.map((s) => {
    const load = combine(s.runs, s.samples);
    return {
      size: s.group.size,
      load,
      promptTokens: Math.round(s.promptTokens / Math.max(1, s.modelCalls)),
      promptMessages: s.last?.lastPromptMessages ?? 0,
      promptBytes: s.last?.lastBodyBytes ?? 0,
      modelCallsPerTurn: s.modelCalls / Math.max(1, load.requests),
      sizeAtEnd: s.group.size + 2 * Math.max(0, Math.ceil(s.next / s.group.conversations.length) - 1),
    };
  });
}

export interface ProtocolRow {
  encoding: 'json' | 'protobuf';
  connections: number;
  load: LoadResult;
  requestBytes: number;
  responseBytes: number;
}

/** DescribeConversation of a 50-message conversation, JSON and protobuf, at 1 and 16 connections. */
export async function protocol(
  baseUrl: string,
  conversation: Conversation,
  durationSec: number,
): Promise<ProtocolRow[]> {
  const url = `${baseUrl}${TWIRP}/DescribeConversation`;
  const session = { platform: 'bench', userId: conversation.userId };
  const bodies = {
    json: JSON.stringify({
      conversation_id: conversation.id,
      session: { platform: session.platform, user_id: session.userId },
    }),
    protobuf: Buffer.from(
      DescribeConversationRequest.toBinary(
        DescribeConversationRequest.create({ conversationId: conversation.id, session }),
      ),
    ),
  };
  const rows: ProtocolRow[] = [];
  for (const connections of [1, 16]) {
    for (const encoding of ['json', 'protobuf'] as const) {
      const headers = { ...AUTH, 'content-type': `application/${encoding}` };
      const body = bodies[encoding];
      const res = await fetch(url, { method: 'POST', headers, body });
      const responseBytes = (await res.arrayBuffer()).byteLength;
      if (!res.ok) throw new Error(`DescribeConversation (${encoding}): HTTP ${res.status}`);
      const load = await runLoad({ url, connections, durationSec, headers, bodyFor: () => body });
      rows.push({ encoding, connections, load, requestBytes: body.length, responseBytes });
    }
  }
  return rows;
}

export interface MemoryReport {
  requests: number;
  load: LoadResult;
  start: MemorySample | null;
  /** After the first tenth of the run: the reference for "flat after warm-up". */
  afterWarmup: MemorySample | null;
  peak: MemorySample | null;
  end: MemorySample | null;
  samples: number;
}

/** `requests` turns at 64 connections while sampling the server's RSS and heap four times a second. */
export async function memory(
  server: BenchProcess,
  baseUrl: string,
  conversations: Conversation[],
  requests: number,
): Promise<MemoryReport> {
  const start = await readMemory(server);
  const samples: MemorySample[] = [];
  const load = await runLoad({
    url: `${baseUrl}${CONTINUE}`,
    connections: Math.min(64, conversations.length),
    amount: requests,
    headers: JSON_HEADERS,
    bodyFor: (i) => bodyOf(conversations, i),
    onTick: () => void readMemory(server).then((s) => s && samples.push(s)),
  });
  const end = await readMemory(server);
  const warm = samples.slice(Math.floor(samples.length / 10));
  const peak = samples.reduce<MemorySample | null>((max, s) => (max && max.rss >= s.rss ? max : s), null);
  return { requests, load, start, afterWarmup: warm[0] ?? null, peak, end, samples: samples.length };
}
