import { type RelayPacing, type RelayRow, warmUpShortSeconds } from './relay-bench.ts';

export interface RelayResults {
  startedAt: string;
  machine: string;
  pacing: RelayPacing;
  rows: RelayRow[];
}

const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '-');
const f0 = (n: number) => (Number.isFinite(n) ? n.toFixed(0) : '-');

/** The side-by-side table: one row per server and number of streams. */
export function relayMarkdown(results: RelayResults): string {
  const { pacing } = results;
  const lines = [
    '# Streaming relay: Parley (compiled) vs. a bare node:http relay',
    '',
    `Run ${results.startedAt}. Machine: ${results.machine}. The load generator, the stand-in, Redis and the`,
    'server share these cores (and, while other work runs, other processes too): compare within a run.',
    '',
    `The stand-in streams ${pacing.pieces} pieces of 8 characters ${pacing.intervalMs} ms apart per reply; every tenth`,
    `stream hangs up early; streams are kept up for ${pacing.seconds} s (each worker starts the next when one ends), then`,
    'the running ones finish. Parley: StartConversation over SSE with a request_id, titles off (one model',
    'call per stream). CPU is user + system time of the server process (and its workers); machine busy is',
    "every core's busy share meanwhile (the load generator, the stand-in and Redis included). Every stream's",
    'first request goes out in the opening second; "after 2 s" counts only the streams sent later, once the',
    'first ones end and new ones replace them. Each server is first warmed, unmeasured, with 100 streams: of',
    `2 pieces for ${warmUpShortSeconds()} s (so the code a stream runs once reaches V8's optimizing compiler, as in a server that`,
    'has run a while), then as measured for 3 s; so no row measures start-up compilation.',
    '',
    '| server | streams | opened | done | hung up | errors | pieces | CPU µs/piece | CPU ms/stream | machine busy | first delta p50 / p99 ms | first delta after 2 s p50 / p99 ms | first-text overhead p50 / p99 ms | delay per piece p50 / p99 ms | loop lag p99 / max ms | RSS start → peak MiB |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of results.rows) {
    lines.push(
      `| ${r.server} | ${r.streams} | ${r.opened} | ${r.completed} | ${r.hungUp} | ${r.errors} | ${r.pieces} | ${f0(r.cpuUsPerPiece)} | ${f1(r.cpuMsPerStream)} | ${Number.isFinite(r.machineBusy) ? `${f0(r.machineBusy * 100)}%` : '-'} | ${f0(r.firstDelta.p50)} / ${f0(r.firstDelta.p99)} | ${f0(r.firstDeltaSteady?.p50 ?? Number.NaN)} / ${f0(r.firstDeltaSteady?.p99 ?? Number.NaN)} | ${f1(r.firstTextOverhead.p50)} / ${f1(r.firstTextOverhead.p99)} | ${f1(r.pieceDelay.p50)} / ${f1(r.pieceDelay.p99)} | ${f1(r.loopLagP99Ms)} / ${f1(r.loopLagMaxMs)} | ${f0(r.rssStartMiB)} → ${f0(r.rssPeakMiB)} |`,
    );
  }
  lines.push(...processLines(results.rows));
  const errors = results.rows.filter((r) => r.firstError);
  if (errors.length > 0) {
    lines.push('', 'First error of each row that had one:', '');
    for (const r of errors) lines.push(`- ${r.server} at ${r.streams}: ${r.firstError}`);
  }
  return `${lines.join('\n')}\n`;
}

/** p50 / p99, or '-' where nothing was measured (the model-call timings need BENCH_PROBE_MODEL_CALLS=1). */
const spread = (x: { count: number; p50Ms: number; p99Ms: number }) =>
  x.count > 0 ? `${f1(x.p50Ms)} / ${f1(x.p99Ms)}` : '-';

/** Per process, for each row that ran on more than one (WORKERS > 1): the load each took and its waits. */
function processLines(rows: RelayRow[]): string[] {
  const pooled = rows.filter((r) => (r.processes?.length ?? 0) > 1);
  if (pooled.length === 0) return [];
  const lines = [
    '',
    'Each process of a pool (the primary serves nothing): requests and connections it took, its event-loop lag,',
    'and the wall time its thread spent inside SQLite calls (where a busy timeout sleeps it).',
    '',
    '| server | streams | process | requests | connections | loop lag p50 / p99 / max ms | SQLite calls | in SQLite ms | SQLite call p99 / max ms | calls ≥ 5 ms | arrival → model call p50 / p99 ms | arrival → model answer p50 / p99 ms |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of pooled) {
    for (const p of r.processes ?? []) {
      const who = p.worker === undefined ? 'primary' : `worker ${p.worker}`;
      lines.push(
        `| ${r.server} | ${r.streams} | ${who} | ${p.requests} | ${p.connections} | ${f1(p.loop.p50)} / ${f1(p.loop.p99)} / ${f1(p.loop.max)} | ${p.sqlite.calls} | ${f0(p.sqlite.totalMs)} | ${f1(p.sqlite.p99Ms)} / ${f1(p.sqlite.maxMs)} | ${p.sqlite.over5Ms} | ${spread(p.modelCall)} | ${spread(p.modelAnswer)} |`,
      );
    }
  }
  return lines;
}
