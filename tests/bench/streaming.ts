import { type ChatClient, createChatClient, createChatStreamClient } from '@parley/rpc';
import { API_KEY } from './fixtures.ts';
import type { ProcessReport } from './memory-probe.ts';
import { type OpenAiWorker, openAiStreamTurn, openAiWorker } from './openai-turn.ts';
import { type BenchProcess, cpuTimeMs, readMemory } from './processes.ts';

// The streaming benchmarks (issue 11): time to first text through the server, delay per chunk, 2,000
// concurrent slow streams, and server CPU per turn streamed vs unary. The stand-in (instant-model.ts) stamps
// every chunk with its send time, so each delta's trip through the server is measured exactly.

export interface Percentiles {
  samples: number;
  p50: number;
  p99: number;
}

export interface FirstTextRow {
  streams: number;
  turns: number;
  errors: number;
  /** Client's first text minus the stand-in's first chunk, ms. */
  firstText: Percentiles;
  /** Every later chunk's trip from the stand-in to the client, ms. */
  chunkDelay: Percentiles;
}

export interface ConcurrentRow {
  streams: number;
  completed: number;
  errors: number;
  seconds: number;
  rssStartMiB: number;
  rssPeakMiB: number;
  loopLagP99Ms: number;
  loopLagMaxMs: number;
  /** What the first failed stream said, when one failed. */
  firstError?: string;
}

export interface CpuRow {
  unaryTurns: number;
  streamedTurns: number;
  unaryMsPerTurn: number;
  streamedMsPerTurn: number;
  ratio: number;
  /** Streamed completions through the OpenAI-compatible API (`/v1/chat/completions`), the same turns. */
  openAiTurns: number;
  openAiMsPerTurn: number;
  /** OpenAI-compatible streamed ÷ Parley streamed (SSE). */
  openAiRatio: number;
  openAiErrors: number;
}

export interface StreamingResults {
  firstText: FirstTextRow[];
  concurrent: ConcurrentRow | null;
  cpu: CpuRow | null;
}

const now = () => performance.timeOrigin + performance.now();
const stampsIn = (text: string) => [...text.matchAll(/@(\d+\.\d+)\|/g)].map((m) => Number(m[1]));

export function percentiles(values: number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  return { samples: sorted.length, p50: at(0.5), p99: at(0.99) };
}

interface StreamTimes {
  first: number[];
  chunks: number[];
}

/** One streamed turn, recording each chunk's trip time; returns the error's text, or '' when it succeeded. */
async function streamTurn(
  baseUrl: string,
  request: { message: string; conversationId?: string; userId: string },
  times: StreamTimes,
): Promise<string> {
  const client = createChatStreamClient({ baseUrl, apiKey: API_KEY, timeoutMs: 60_000 });
  let first = true;
  try {
    const { userId, conversationId, message } = request;
    const session = { platform: '', userId, chatId: '' };
    const events = conversationId
      ? client.streamContinueConversation({ message, conversationId, session })
      : client.streamStartConversation({ message, session });
    for await (const { event } of events) {
      if (event.oneofKind !== 'delta') continue;
      const at = now();
      for (const stamp of stampsIn(event.delta.text)) {
        (first ? times.first : times.chunks).push(at - stamp);
        first = false;
      }
    }
    return '';
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    return `${typeof code === 'string' ? `${code}: ` : ''}${err instanceof Error ? err.message : String(err)}`;
  }
}

async function newConversation(unary: ChatClient, userId: string): Promise<string> {
  const { conversation } = await unary.startConversation({ session: { platform: '', userId, chatId: '' } });
  return conversation?.id ?? '';
}

/** `streams` workers, each streaming turns on its own conversation for `seconds`. */
export async function firstTextRun(baseUrl: string, streams: number, seconds: number): Promise<FirstTextRow> {
  const unary = createChatClient({ baseUrl, apiKey: API_KEY });
  const times: StreamTimes = { first: [], chunks: [] };
  let turns = 0;
  let errors = 0;
  const until = Date.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: streams }, async (_, i) => {
      const userId = `ft-${streams}-${i}`;
      const conversationId = await newConversation(unary, userId);
      while (Date.now() < until) {
        const error = await streamTurn(baseUrl, { message: 'pace:10x50', conversationId, userId }, times);
        turns++;
        if (error) errors++;
      }
    }),
  );
  return {
    streams,
    turns,
    errors,
    firstText: percentiles(times.first),
    chunkDelay: percentiles(times.chunks),
  };
}

/** `streams` concurrent slow replies (50 chunks 200 ms apart: 10 s each), opened over about 2 s. */
export async function concurrentRun(
  baseUrl: string,
  server: BenchProcess,
  streams: number,
): Promise<ConcurrentRow> {
  const rssStart = (await readMemory(server))?.rss ?? 0;
  let rssPeak = rssStart;
  const sampler = setInterval(() => {
    void readMemory(server).then((m) => {
      if (m && m.rss > rssPeak) rssPeak = m.rss;
    });
  }, 500);
  server.child.send('loop-start');
  const times: StreamTimes = { first: [], chunks: [] };
  const started = Date.now();
  const outcomes = await Promise.all(
    Array.from({ length: streams }, async (_, i) => {
      await new Promise((resolve) => setTimeout(resolve, i));
      return streamTurn(baseUrl, { message: 'pace:50x200', userId: `many-${i}` }, times);
    }),
  );
  const seconds = (Date.now() - started) / 1000;
  clearInterval(sampler);
  const loop = await readLoop(server);
  const mib = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;
  const failures = outcomes.filter(Boolean);
  return {
    streams,
    completed: streams - failures.length,
    errors: failures.length,
    ...(failures[0] ? { firstError: failures[0] } : {}),
    seconds,
    rssStartMiB: mib(rssStart),
    rssPeakMiB: mib(rssPeak),
    loopLagP99Ms: loop?.p99 ?? Number.NaN,
    loopLagMaxMs: loop?.max ?? Number.NaN,
  };
}

/**
 * Server CPU per turn: the same turns (10 chunks, unpaced) as unary calls, as SSE streams and as streamed
 * OpenAI-compatible completions (each worker holding its conversation's history), alternated.
 */
export async function cpuRun(baseUrl: string, server: BenchProcess, seconds: number): Promise<CpuRow> {
  const unary = createChatClient({ baseUrl, apiKey: API_KEY });
  const workers = 16;
  const conversations = await Promise.all(
    Array.from({ length: workers }, (_, i) => newConversation(unary, `cpu-${i}`)),
  );
  const totals = { unary: { ms: 0, turns: 0 }, streamed: { ms: 0, turns: 0 }, openai: { ms: 0, turns: 0 } };
  const times: StreamTimes = { first: [], chunks: [] };
  const openAi = conversations.map((_, i) => openAiWorker(baseUrl, `cpu-openai-${i}`));
  let openAiErrors = 0;
  for (const mode of ['unary', 'streamed', 'openai', 'unary', 'streamed', 'openai'] as const) {
    const before = cpuTimeMs(server.child.pid ?? 0) ?? 0;
    const until = Date.now() + (seconds / 2) * 1000;
    let turns = 0;
    await Promise.all(
      conversations.map(async (conversationId, i) => {
        const request = { message: 'pace:10x0', conversationId, userId: `cpu-${i}` };
        while (Date.now() < until) {
          if (mode === 'unary')
            await unary.continueConversation({
              ...request,
              session: { platform: '', userId: request.userId, chatId: '' },
            });
          else if (mode === 'openai') {
            if (await openAiStreamTurn(openAi[i] as OpenAiWorker, request.message)) openAiErrors++;
          } else await streamTurn(baseUrl, request, times);
          turns++;
        }
      }),
    );
    totals[mode].ms += (cpuTimeMs(server.child.pid ?? 0) ?? 0) - before;
    totals[mode].turns += turns;
  }
  const unaryMsPerTurn = totals.unary.ms / totals.unary.turns;
  const streamedMsPerTurn = totals.streamed.ms / totals.streamed.turns;
  const openAiMsPerTurn = totals.openai.ms / totals.openai.turns;
  return {
    unaryTurns: totals.unary.turns,
    streamedTurns: totals.streamed.turns,
    unaryMsPerTurn,
    streamedMsPerTurn,
    ratio: streamedMsPerTurn / unaryMsPerTurn,
    openAiTurns: totals.openai.turns,
    openAiMsPerTurn,
    openAiRatio: openAiMsPerTurn / streamedMsPerTurn,
    openAiErrors,
  };
}

/** Event-loop delay since 'loop-start', from the server's memory probe: the worst process's, and each one's. */
export function readLoop(
  server: BenchProcess,
): Promise<{ p99: number; max: number; processes?: ProcessReport[] } | null> {
  const { child } = server;
  return new Promise((resolve) => {
    const timer = setTimeout(() => done(null), 2_000);
    const onMessage = (message: unknown) => {
      const m = message as { type?: string; p99?: number; max?: number; processes?: ProcessReport[] };
      if (m.type === 'loop' && typeof m.p99 === 'number' && typeof m.max === 'number')
        done({ p99: m.p99, max: m.max, ...(m.processes ? { processes: m.processes } : {}) });
    };
    const done = (value: { p99: number; max: number; processes?: ProcessReport[] } | null) => {
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve(value);
    };
    child.on('message', onMessage);
    child.send('loop');
  });
}
