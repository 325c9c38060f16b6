import { EventEmitter, once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import {
  completionBody,
  errorBody,
  estimateUsage,
  readBody,
  type StreamedReply,
  type StreamPacing,
  sendJson,
  streamReply,
  textOf,
  wireToolCalls,
  withTotal,
} from './openai-stand-in-answers.ts';
import {
  answerTranscription,
  describeImages,
  type RecordedTranscription,
  type TranscriptionStep,
} from './openai-stand-in-media.ts';

export { imagesIn, type RecordedTranscription, type SeenImage } from './openai-stand-in-media.ts';

/**
 * An OpenAI-compatible chat server for tests: real HTTP on 127.0.0.1, so the real `openai` SDK (and a
 * separate server process) talk to it exactly as they would to OpenAI, Ollama or vLLM.
 */

export interface StandInUsage {
  prompt_tokens: number;
  completion_tokens: number;
}

export interface StandInToolCall {
  id?: string;
  name: string;
  arguments: Record<string, unknown> | string;
}

/**
 * What the stand-in does with one chat-completion request. `stream` paces a streamed answer (overriding
 * the stand-in's default pacing); a tool-call step may say something first (`content`).
 */
export type StandInStep =
  | ({ reply: string; usage?: StandInUsage | 'none' } & AnswerShape)
  | ({ toolCalls: StandInToolCall[]; content?: string; usage?: StandInUsage } & AnswerShape)
  | { status: number; body?: unknown; headers?: Record<string, string> }
  | { delayMs: number; then: StandInStep }
  | { hang: true }
  | { dropConnection: true };

/** How an answer goes out, including the ways real providers and proxies get it wrong. */
export interface AnswerShape {
  stream?: StreamPacing;
  /**
   * Answers one `chat.completion` JSON (content-type application/json) even when the request asked for
   * `stream: true`, as some OpenAI-compatible servers and proxies do.
   */
  ignoreStream?: boolean;
  /**
   * Ends a streamed answer cleanly after this many chunks (the first is the role chunk): no finish
   * reason, no usage, no `[DONE]`. 1 sends a stream with nothing in it.
   */
  endAfterChunks?: number;
  /** Sends this many chunks of a streamed answer, then nothing more, leaving the response open. */
  stallAfterChunks?: number;
  /** Sends `afterChunks` chunks, then the rest once `until` settles: a test decides when the answer goes on. */
  hold?: { afterChunks: number; until: Promise<unknown> };
}

export interface ChatRequestMessage {
  role: string;
  content?: unknown;
  tool_calls?: Array<{ id: string; type: string; function: { name: string; arguments: string } }>;
  tool_call_id?: string;
}

export interface ChatRequestBody {
  model?: string;
  messages?: ChatRequestMessage[];
  tools?: unknown[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  [key: string]: unknown;
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** Parsed JSON body; `{}` for requests without one. */
  body: ChatRequestBody;
  /** `Date.now()` when the request arrived, to check retry waits. */
  receivedAt: number;
}

/** A request the client gave up on (closed the connection) before the stand-in finished answering. */
export interface StandInAbort {
  request: RecordedRequest;
  /** `Date.now()` when the connection closed. */
  at: number;
  /** SSE chunks written before that (0 for a request that was not streaming yet). */
  chunksSent: number;
}

export interface StandInOptions {
  port?: number;
  /** Default pacing of streamed answers (default: all chunks at once). */
  stream?: StreamPacing;
  /** Keep every request in `requests` (default true); long benchmarks turn it off. */
  recordRequests?: boolean;
}

export interface OpenAiStandIn {
  /** Base URL including `/v1`, for the SDK's `baseURL`. */
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Requests the client aborted mid-answer, in order. */
  readonly aborts: StandInAbort[];
  /** Every /audio/transcriptions request, in order. */
  readonly transcriptions: RecordedTranscription[];
  /**
   * Queues answers to transcription requests; without one the stand-in hears the text after `SAY:` in
   * the audio bytes, 3 seconds long.
   */
  scriptTranscription(...steps: TranscriptionStep[]): OpenAiStandIn;
  /** Resolves at the next abort (or with the first not yet awaited); rejects after `timeoutMs`. */
  nextAbort(timeoutMs?: number): Promise<StandInAbort>;
  /** Steps not consumed yet. */
  readonly pending: number;
  /** Queues steps; each chat-completion request consumes one. */
  script(...steps: StandInStep[]): OpenAiStandIn;
  /** Answers requests once the script is empty (default: echo the last user message). */
  setDefault(responder: (body: ChatRequestBody) => StandInStep): OpenAiStandIn;
  /** Forgets the script, the recorded requests and a custom default. */
  reset(): void;
  close(): Promise<void>;
}

export async function startOpenAiStandIn(options: StandInOptions = {}): Promise<OpenAiStandIn> {
  const steps: StandInStep[] = [];
  const requests: RecordedRequest[] = [];
  const aborts: StandInAbort[] = [];
  const transcriptions: RecordedTranscription[] = [];
  const transcriptionSteps: TranscriptionStep[] = [];
  const abortEvents = new EventEmitter();
  const timers = new Set<NodeJS.Timeout>();
  let responder = echo;
  let ids = 0;
  let awaitedAborts = 0;
  let closing = false;

  const server = createServer((req, res) => {
    void handle(req, res).catch(() => res.destroy());
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const receivedAt = Date.now();
    const path = (req.url ?? '/').split('?')[0]?.replace(/^\/v1(?=\/)/, '') ?? '/';
    const progress = { chunksSent: 0, dropped: false };
    // Listened to before the body is read: a client giving up while its body was still arriving (a
    // deadline on a loaded machine) is an abort too, recorded once the request is.
    let recorded: RecordedRequest | undefined;
    let closedEarly = false;
    const recordAbort = (request: RecordedRequest) => {
      aborts.push({ request, at: Date.now(), chunksSent: progress.chunksSent });
      abortEvents.emit('abort');
    };
    res.on('close', () => {
      if (res.writableFinished || progress.dropped || closing) return;
      if (recorded) recordAbort(recorded);
      else closedEarly = true;
    });
    const raw = await readBody(req);
    const multipart = /^multipart\/form-data/i.test(req.headers['content-type'] ?? '');
    const text = multipart ? '' : raw.toString('utf8');
    let body: ChatRequestBody = {};
    let malformed = false;
    try {
      body = text ? (JSON.parse(text) as ChatRequestBody) : {};
    } catch {
      malformed = true;
    }
    recorded = {
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      headers: req.headers,
      body,
      receivedAt,
    };
    if (options.recordRequests !== false) requests.push(recorded);
    if (closedEarly) return recordAbort(recorded);

    if (!/^Bearer \S+/.test(req.headers.authorization ?? '')) {
      return sendJson(res, 401, errorBody(401, "You didn't provide an API key."));
    }
    if (req.method === 'GET' && path === '/models') {
      const created = Math.floor(receivedAt / 1000);
      return sendJson(res, 200, {
        object: 'list',
        data: [{ id: 'stand-in', object: 'model', created, owned_by: 'parley' }],
      });
    }
    if (req.method === 'POST' && path === '/audio/transcriptions') {
      const step = transcriptionSteps.shift();
      return answerTranscription(raw, req.headers, step, (t) => transcriptions.push(t), res);
    }
    if (req.method !== 'POST' || path !== '/chat/completions') {
      return sendJson(res, 404, errorBody(404, `Unknown request URL: ${req.method} ${req.url}`));
    }
    if (malformed || !Array.isArray(body.messages)) {
      return sendJson(res, 400, errorBody(400, 'We could not parse the JSON body of your request.'));
    }
    await play(steps.shift() ?? responder(body), body, res, progress);
  }

  function sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
    });
  }

  async function play(step: StandInStep, body: ChatRequestBody, res: ServerResponse, progress: Progress) {
    if ('delayMs' in step) {
      await sleep(step.delayMs);
      // The client may have given up (timeout) while we waited.
      if (res.destroyed) return;
      return play(step.then, body, res, progress);
    }
    // Left open on purpose; close() destroys the socket.
    if ('hang' in step) return;
    if ('dropConnection' in step) {
      progress.dropped = true;
      res.socket?.destroy();
      return;
    }
    if ('status' in step) {
      res.writeHead(step.status, { 'content-type': 'application/json', ...step.headers });
      res.end(JSON.stringify(step.body ?? errorBody(step.status)));
      return;
    }
    const id = `chatcmpl-standin-${++ids}`;
    const toolCalls = 'toolCalls' in step ? wireToolCalls(step.toolCalls, ids) : [];
    const content = 'reply' in step ? step.reply : (step.content ?? null);
    // 'none': a provider that never reports usage (older Ollama and vLLM), even when asked.
    const noUsage = step.usage === 'none';
    const given = step.usage === 'none' ? undefined : step.usage;
    const usage = withTotal(given ?? estimateUsage(body, content ?? JSON.stringify(toolCalls)));
    const reply: StreamedReply = { id, model: body.model ?? 'stand-in', content, toolCalls, usage };
    if (body.stream && !step.ignoreStream) {
      const includeUsage = body.stream_options?.include_usage === true && !noUsage;
      const pacing = step.stream ?? options.stream ?? {};
      // Counted as they go out, so an abort records how far the answer got.
      const onChunk = () => void progress.chunksSent++;
      const { endAfterChunks, stallAfterChunks, hold } = step;
      await streamReply(res, reply, {
        includeUsage,
        pacing,
        sleep,
        onChunk,
        endAfterChunks,
        stallAfterChunks,
        hold,
      });
      return;
    }
    sendJson(res, 200, completionBody(reply));
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  const standIn: OpenAiStandIn = {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    aborts,
    transcriptions,
    scriptTranscription(...more) {
      transcriptionSteps.push(...more);
      return standIn;
    },
    async nextAbort(timeoutMs = 5_000) {
      if (aborts.length <= awaitedAborts) {
        await once(abortEvents, 'abort', { signal: AbortSignal.timeout(timeoutMs) }).catch(() => {
          throw new Error(`no request was aborted within ${timeoutMs} ms`);
        });
      }
      return aborts[awaitedAborts++] as StandInAbort;
    },
    get pending() {
      return steps.length;
    },
    script(...more) {
      steps.push(...more);
      return standIn;
    },
    setDefault(fn) {
      responder = fn;
      return standIn;
    },
    reset() {
      steps.length = 0;
      requests.length = 0;
      aborts.length = 0;
      transcriptions.length = 0;
      transcriptionSteps.length = 0;
      awaitedAborts = 0;
      responder = echo;
    },
    close() {
      closing = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Hung requests and keep-alive sockets would hold close() open forever.
        server.closeAllConnections();
      });
    },
  };
  return standIn;
}

interface Progress {
  chunksSent: number;
  /** The stand-in dropped the connection itself: not a client abort. */
  dropped: boolean;
}

function echo(body: ChatRequestBody): StandInStep {
  const lastUser = body.messages?.findLast((m) => m.role === 'user');
  // Says what images it was shown, so a journey can check the model really saw the photo.
  return { reply: `Echo: ${textOf(lastUser?.content)}${describeImages(body)}` };
}

// Run directly (`tsx tests/support/openai-stand-in.ts`): an echoing stand-in for e2e tests and people.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  // STAND_IN_CHUNKS and STAND_IN_CHUNK_INTERVAL_MS pace streamed answers (e.g. 50 chunks, 200 ms apart).
  const standIn = await startOpenAiStandIn({
    port: Number(process.env.PORT ?? 0),
    stream: {
      chunks: Number(process.env.STAND_IN_CHUNKS ?? 0) || undefined,
      intervalMs: Number(process.env.STAND_IN_CHUNK_INTERVAL_MS ?? 0),
    },
  });
  process.stdout.write(`OPENAI_BASE_URL=${standIn.url}\n`);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void standIn.close().then(() => process.exit(0)));
  }
}
