import { table } from './markdown.ts';
import type { Target } from './report.ts';
import type { StreamingResults } from './streaming.ts';

const f1 = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : '-');
const f2 = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : '-');

/** Issue 11's streaming targets next to what the run measured. */
export function streamingTargets(s: StreamingResults | null): Target[] {
  const at64 = s?.firstText.find((r) => r.streams === 64);
  const many = s?.concurrent;
  const cpu = s?.cpu;
  return [
    {
      target: 'First-text overhead at 64 streams ≤ 5 ms p50',
      measured: at64 ? `${f1(at64.firstText.p50)} ms` : '-',
      met: at64 ? at64.firstText.p50 <= 5 : null,
    },
    {
      target: 'First-text overhead at 64 streams ≤ 20 ms p99',
      measured: at64 ? `${f1(at64.firstText.p99)} ms` : '-',
      met: at64 ? at64.firstText.p99 <= 20 : null,
    },
    {
      target: '2,000 concurrent streams: 0 errors',
      measured: many ? `${many.errors} errors (${many.completed} completed)` : '-',
      met: many ? many.errors === 0 : null,
    },
    {
      target: '2,000 concurrent streams: server RSS < 1 GiB',
      measured: many ? `peak ${f1(many.rssPeakMiB)} MiB` : '-',
      met: many ? many.rssPeakMiB < 1024 : null,
    },
    {
      target: '2,000 concurrent streams: event-loop lag p99 < 50 ms',
      measured: many ? `${f1(many.loopLagP99Ms)} ms (max ${f1(many.loopLagMaxMs)} ms)` : '-',
      met: many ? many.loopLagP99Ms < 50 : null,
    },
    {
      target: 'Server CPU per turn, streaming ≤ 1.3× unary',
      measured: cpu
        ? `${f2(cpu.ratio)}× (${f2(cpu.streamedMsPerTurn)} vs ${f2(cpu.unaryMsPerTurn)} ms)`
        : '-',
      met: cpu ? cpu.ratio <= 1.3 : null,
    },
    {
      target: 'Server CPU per turn, OpenAI-compatible streamed ≤ Parley streamed (SSE)',
      measured:
        cpu?.openAiTurns !== undefined
          ? `${f2(cpu.openAiRatio)}× (${f2(cpu.openAiMsPerTurn)} vs ${f2(cpu.streamedMsPerTurn)} ms)`
          : '-',
      met: cpu?.openAiTurns !== undefined ? cpu.openAiRatio <= 1 : null,
    },
  ];
}

export function streamingSection(s: StreamingResults): string[] {
  const out = [
    '## Streaming',
    '',
    'The stand-in streams 10 chunks 50 ms apart, each stamped with its send time; the client (the',
    '`@parley/rpc` stream client) records when each arrives. First text = the first delta at the client',
    'minus the stand-in sending the first chunk, so it is what the server (and the SSE client) add.',
    '',
    table(
      ['Streams', 'Turns', 'Errors', 'First text p50 (ms)', 'p99 (ms)', 'Later chunks p50 (ms)', 'p99 (ms)'],
      s.firstText.map((r) => [
        r.streams,
        r.turns,
        r.errors,
        f1(r.firstText.p50),
        f1(r.firstText.p99),
        f1(r.chunkDelay.p50),
        f1(r.chunkDelay.p99),
      ]),
    ),
  ];
  if (s.concurrent) {
    const c = s.concurrent;
    out.push(
      '',
      `${c.streams} concurrent streams against a slow stand-in (50 chunks, 200 ms apart: 10 s a reply), opened`,
      `over about 2 s: ${c.completed} completed, ${c.errors} errors in ${f1(c.seconds)} s; server RSS`,
      `${f1(c.rssStartMiB)} MiB before, ${f1(c.rssPeakMiB)} MiB at peak; event-loop lag p99 ${f1(c.loopLagP99Ms)} ms,`,
      `max ${f1(c.loopLagMaxMs)} ms.${c.firstError ? ` First error: ${c.firstError}` : ''}`,
    );
  }
  if (s.cpu) {
    const c = s.cpu;
    out.push(
      '',
      `Server CPU per turn (16 workers, 10 unpaced chunks a reply, alternating): unary ${f2(c.unaryMsPerTurn)} ms`,
      `(${c.unaryTurns} turns), streamed ${f2(c.streamedMsPerTurn)} ms (${c.streamedTurns} turns): ${f2(c.ratio)}×.`,
      `Streamed through the OpenAI-compatible API (\`/v1/chat/completions\`, the openai SDK, each worker sending`,
      `its conversation's history, a new conversation every 10 turns): ${f2(c.openAiMsPerTurn)} ms (${c.openAiTurns}`,
      `turns, ${c.openAiErrors} errors): ${f2(c.openAiRatio)}× the SSE stream.`,
    );
  }
  return out;
}
