import { readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { SourceMap } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REPO_ROOT } from './processes.ts';

/** The parts of V8's .cpuprofile format read here. */
interface CpuProfile {
  nodes: Array<{
    id: number;
    hitCount?: number;
    callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  }>;
  samples?: number[];
  timeDeltas?: number[];
  startTime: number;
  endTime: number;
}

export interface HotEntry {
  /** `functionName url:line` (line 1-based, url relative to the repository). */
  name: string;
  selfMs: number;
  /** Share of all samples, in percent. */
  percent: number;
}

export interface ProfileSummary {
  file: string;
  /** True when only the samples of the measured load were counted. */
  windowed: boolean;
  /** Non-idle sampled time. */
  totalMs: number;
  idleMs: number;
  /** Top self-time functions. */
  functions: HotEntry[];
  /** Self time by where the code lives: a package, a server file, a Node module, GC. */
  places: HotEntry[];
}

/** Monotonic microseconds, the clock V8 stamps profiles with (CLOCK_MONOTONIC on Linux). */
export const monotonicUs = (): number => Number(process.hrtime.bigint() / 1000n);

/**
 * Reads the newest .cpuprofile in `dir` and aggregates self time, counting only samples taken inside
 * `window` (monotonic µs, see {@link monotonicUs}) so start-up (module loading, transpiling) and
 * warm-up stay out; all samples when the window matches none.
 */
export async function summarizeProfile(
  dir: string,
  window?: { fromUs: number; toUs: number },
  top = 15,
): Promise<ProfileSummary> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.cpuprofile')).sort();
  const file = files.at(-1);
  if (!file) throw new Error(`no .cpuprofile in ${dir}`);
  const profile = JSON.parse(await readFile(join(dir, file), 'utf8')) as CpuProfile;
  let selfMsById = selfTimes(profile, window);
  const windowed = window !== undefined && selfMsById.size > 0;
  if (!windowed) selfMsById = selfTimes(profile);
  const byFunction = new Map<string, number>();
  const byPlace = new Map<string, number>();
  let totalMs = 0;
  let idleMs = 0;
  const original = sourceMapped();
  for (const node of profile.nodes) {
    const ms = selfMsById.get(node.id) ?? 0;
    if (ms === 0) continue;
    const { functionName, url, line } = original(node.callFrame);
    if (functionName === '(idle)') {
      idleMs += ms;
      continue;
    }
    totalMs += ms;
    const where = !url ? '' : `${shortUrl(url)}${line === undefined ? '' : `:${line}`}`;
    const name = `${functionName || '(anonymous)'}${where ? ` ${where}` : ''}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + ms);
    const place = placeOf(url, functionName);
    byPlace.set(place, (byPlace.get(place) ?? 0) + ms);
  }
  return {
    file: join(dir, file),
    windowed,
    totalMs,
    idleMs,
    functions: ranked(byFunction, totalMs, top),
    places: ranked(byPlace, totalMs, top),
  };
}

/**
 * Maps a frame in a bundle (the compiled server's dist/, which has `.map` files beside it) back to the
 * source file and line it was built from, so a profile of `node server/dist/main.js` names
 * `server/src/...ts` and packages instead of one minified chunk. Frames without a map stay as they are.
 */
function sourceMapped(): (frame: CpuProfile['nodes'][number]['callFrame']) => {
  functionName: string;
  url: string;
  /** 1-based, or undefined when not known. */
  line: number | undefined;
} {
  const maps = new Map<string, { map: SourceMap; dir: string } | null>();
  const mapOf = (url: string) => {
    let entry = maps.get(url);
    if (entry === undefined) {
      entry = null;
      if (url.startsWith('file://')) {
        const path = fileURLToPath(url);
        try {
          entry = { map: new SourceMap(JSON.parse(readFileSync(`${path}.map`, 'utf8'))), dir: dirname(path) };
        } catch {
          // No map beside it: not a bundle.
        }
      }
      maps.set(url, entry);
    }
    return entry;
  };
  return (frame) => {
    const found = mapOf(frame.url);
    const at = found?.map.findEntry(frame.lineNumber, frame.columnNumber);
    if (!found || !at || !('originalSource' in at)) {
      // tsx transpiles .ts files on load: V8's line numbers are the transpiled output's, so leave them out.
      const line = frame.url && !frame.url.endsWith('.ts') ? frame.lineNumber + 1 : undefined;
      return { functionName: frame.functionName, url: frame.url, line };
    }
    const url = `file://${resolve(found.dir, at.originalSource)}`;
    return { functionName: frame.functionName, url, line: at.originalLine + 1 };
  };
}

/** Self time per node from samples and time deltas (exact), or hit counts times the mean interval. */
function selfTimes(profile: CpuProfile, window?: { fromUs: number; toUs: number }): Map<number, number> {
  const out = new Map<number, number>();
  const { samples, timeDeltas } = profile;
  if (samples && timeDeltas && samples.length === timeDeltas.length) {
    // timeDeltas[i] is the time before sample i; attribute the gap after a sample to that sample.
    let at = profile.startTime;
    for (let i = 0; i < samples.length; i++) {
      at += timeDeltas[i] ?? 0;
      if (window && (at < window.fromUs || at > window.toUs)) continue;
      const id = samples[i] as number;
      const next = timeDeltas[i + 1] ?? 0;
      out.set(id, (out.get(id) ?? 0) + next / 1000);
    }
    return out;
  }
  if (window) return out;
  const hits = profile.nodes.reduce((sum, n) => sum + (n.hitCount ?? 0), 0);
  const interval = hits > 0 ? (profile.endTime - profile.startTime) / 1000 / hits : 0;
  for (const node of profile.nodes) out.set(node.id, (node.hitCount ?? 0) * interval);
  return out;
}

function ranked(map: Map<string, number>, totalMs: number, top: number): HotEntry[] {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, selfMs]) => ({ name, selfMs, percent: totalMs > 0 ? (selfMs / totalMs) * 100 : 0 }));
}

function shortUrl(url: string): string {
  const path = url.startsWith('file://') ? decodeURIComponent(new URL(url).pathname) : url;
  if (!path.startsWith('/')) return path;
  const rel = relative(REPO_ROOT, path);
  // pnpm's store paths are long: keep the package and the file inside it.
  const pnpm = /node_modules\/\.pnpm\/[^/]+\/node_modules\/(.+)$/.exec(rel);
  return pnpm?.[1] ?? rel;
}

function placeOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native / V8 builtins)';
  if (url.startsWith('wasm://')) return "wasm (in Node: undici's HTTP parser, the CJS lexer)";
  if (url.startsWith('node:')) return url.replace(/^node:(internal\/)?(deps\/)?/, 'node: ');
  const short = shortUrl(url);
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(short) ?? /^((?:@[^/]+\/)?[^/]+)\//.exec(short);
  if (short.includes('node_modules') || !short.match(/^(server|packages|tests)\//)) {
    return pkg?.[1] ? `pkg ${pkg[1]}` : short;
  }
  return short;
}

/** The hottest functions, then the hottest places, a line each with its share of the samples. */
export function printProfile(summary: Pick<ProfileSummary, 'functions' | 'places'>): void {
  for (const f of summary.functions)
    process.stdout.write(`${f.percent.toFixed(1).padStart(5)}%  ${f.name}\n`);
  process.stdout.write('\n');
  for (const p of summary.places) process.stdout.write(`${p.percent.toFixed(1).padStart(5)}%  ${p.name}\n`);
}
