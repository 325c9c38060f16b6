import { Agent, type RequestOptions, request } from 'node:http';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { type ServerProcess, startServerProcess } from './cli-processes.ts';

// Talking to a WORKERS > 1 pool started as a process (startServerProcess): its workers' log lines, and
// connections pinned to one worker each (the kernel spreads new connections over the workers' sockets).

export interface LogLine {
  msg?: string;
  worker?: number;
  pid?: number;
  method?: string;
  code?: string;
  level?: number | string;
}

/** The pool's JSON log lines so far (complete lines only: output arrives in chunks). */
export function logLines(pool: ServerProcess): LogLine[] {
  return pool
    .output()
    .split('\n')
    .slice(0, -1)
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);
}

/** Resolves once `predicate` holds for the pool's log, checked as each piece of output arrives. */
export function waitForLog(
  pool: ServerProcess,
  what: string,
  predicate: (lines: LogLine[]) => boolean,
  timeoutMs = 15_000,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const streams = [pool.child.stdout, pool.child.stderr];
    const check = () => {
      if (!predicate(logLines(pool))) return;
      done();
      resolve();
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`never saw ${what} in the log:\n${pool.output()}`));
    }, timeoutMs);
    const done = () => {
      clearTimeout(timer);
      for (const stream of streams) stream?.off('data', check);
    };
    for (const stream of streams) stream?.on('data', check);
    check();
  });
}

/** Starts the server with WORKERS=2 (titles off, info logs) and waits until both workers listen. */
export async function startWorkerPool(options: {
  dataDir: string;
  openAiUrl: string;
  apiKey: string;
  env?: Record<string, string>;
}): Promise<ServerProcess> {
  const pool = await startServerProcess({
    dataDir: options.dataDir,
    keyFile: join(options.dataDir, 'key'),
    openAiUrl: options.openAiUrl,
    env: {
      WORKERS: '2',
      LOG_LEVEL: 'info',
      API_KEYS: `test=${options.apiKey}`,
      GENERATE_TITLES: 'false',
      ...options.env,
    },
  });
  try {
    await waitForLog(pool, 'two workers listening', (lines) => listening(lines).length >= 2);
  } catch (err) {
    await pool.stop();
    throw err;
  }
  return pool;
}

export const listening = (lines: LogLine[]) => lines.filter((l) => l.msg?.startsWith('Parley is listening'));

export interface HttpAnswer {
  status: number;
  body: string;
}

export function httpRequest(url: string, options: RequestOptions, body?: string): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, options, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** One kept-alive connection and the worker that owns it (the primary hands a connection over once). */
export interface WorkerLink {
  worker: number;
  agent: Agent;
}

/** A new kept-alive connection, and the worker the primary gave it to (asked with /health on it). */
export async function newLink(url: string): Promise<WorkerLink> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const health = await httpRequest(`${url}/health`, { agent });
  return { worker: (JSON.parse(health.body) as { worker: number }).worker, agent };
}

/** Opens connections one at a time until one lands on `worker`. */
export async function linkTo(url: string, worker: number): Promise<WorkerLink> {
  for (let i = 0; i < 50; i++) {
    const link = await newLink(url);
    if (link.worker === worker) return link;
    link.agent.destroy();
  }
  throw new Error(`could not reach worker ${worker}`);
}

/** Opens connections one at a time until each of the two workers owns `perWorker` of them. */
export async function linksToEachWorker(url: string, perWorker: number): Promise<WorkerLink[]> {
  const links: WorkerLink[] = [];
  const owned = (worker: number) => links.filter((l) => l.worker === worker).length;
  for (let i = 0; i < perWorker * 10 && links.length < perWorker * 2; i++) {
    const link = await newLink(url);
    if (owned(link.worker) < perWorker) links.push(link);
    else link.agent.destroy();
  }
  if (links.length < perWorker * 2) throw new Error(`could not reach both workers: ${JSON.stringify(links)}`);
  return links;
}

export interface SseEvent {
  event: string;
  data: Record<string, unknown>;
}

/** A streamed call (POST to an SSE route) on the link's connection; `leave()` hangs up, closing it. */
export function streamOnLink(url: string, link: WorkerLink, apiKey: string, body: object) {
  const events: SseEvent[] = [];
  const waiters: Array<() => void> = [];
  let ended = false;
  let failure = '';
  const req = request(url, {
    agent: link.agent,
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'text/event-stream',
      authorization: `Bearer ${apiKey}`,
    },
  });
  const wake = () => {
    for (const waiter of waiters.splice(0)) waiter();
  };
  req.on('response', (res) => {
    let event = '';
    createInterface({ input: res })
      // Hanging up aborts the response: that is the point, not a failure.
      .on('error', () => undefined)
      .on('line', (line) => {
        if (line.startsWith('event: ')) event = line.slice(7);
        if (line.startsWith('data: ')) {
          events.push({ event, data: JSON.parse(line.slice(6)) as Record<string, unknown> });
          wake();
        }
      })
      .on('close', () => {
        ended = true;
        wake();
      });
  });
  req.on('error', (err) => {
    failure = err.message;
    ended = true;
    wake();
  });
  req.end(JSON.stringify(body));
  return {
    events,
    /** Resolves once `predicate` holds for the events so far (rejects if the stream ended before). */
    async until(predicate: (events: SseEvent[]) => boolean): Promise<void> {
      while (!predicate(events)) {
        if (ended) throw new Error(`the stream ended first (${failure}): ${JSON.stringify(events)}`);
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
    },
    leave: () => req.destroy(),
  };
}

/** A ChatService call in Twirp JSON on the link's connection (so it reaches the link's worker). */
export async function chatCallOnLink<T>(
  url: string,
  link: WorkerLink,
  apiKey: string,
  method: string,
  body: object,
): Promise<T> {
  const answer = await httpRequest(
    `${url}/twirp/parley.chat.v1.ChatService/${method}`,
    {
      agent: link.agent,
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
    },
    JSON.stringify(body),
  );
  if (answer.status !== 200) throw new Error(`${method} answered ${answer.status}: ${answer.body}`);
  return JSON.parse(answer.body) as T;
}
