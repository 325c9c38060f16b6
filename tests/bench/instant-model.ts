import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenOnPort } from '../../server/src/port-listeners.ts';
import { pieceStamp } from './piece-stamp.ts';

/**
 * The benchmarks' OpenAI-compatible stand-in, run as its own process: answers every chat completion at
 * once with `Echo: <last user message>` (streamed when asked, as the server always asks, and paced when
 * the message says so: see {@link parseRequest}). Leaner than tests/support/openai-stand-in.ts, which keeps every
 * request it receives (a 100k-request run would hold gigabytes of prompts) and supports scripts and
 * streaming the benchmarks do not need. It keeps counters only, readable at `GET /stats`:
 * what the last prompt looked like, so the runner can report what a turn sends to the model.
 */

interface ChatMessage {
  role?: string;
  content?: unknown;
}

const stats = {
  requests: 0,
  lastPromptMessages: 0,
  lastPromptChars: 0,
  lastPromptTokens: 0,
  lastBodyBytes: 0,
  /** Sum over the requests since the last reset, for a mean per call. */
  promptTokensTotal: 0,
};

let ids = 0;

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const raw = Buffer.concat(chunks);
    const [status, body] = answer(req, raw);
    const request = status === 200 && req.url?.endsWith('/chat/completions') ? parseRequest(raw) : undefined;
    if (request?.stream) return void streamAnswer(res, body as Completion, request.pace);
    send(res, status, body);
  });
});

interface Completion {
  id: string;
  model: string;
  created: number;
  choices: Array<{ message: { content: string } }>;
  usage: unknown;
}

interface Pace {
  chunks: number;
  intervalMs: number;
  /** Eight-character pieces (`@` + a compact stamp + `|`), as a real model streams, instead of the long stamp. */
  compact: boolean;
}

/**
 * `pace:<chunks>x<ms>` anywhere in the last user message streams the answer as that many chunks that far
 * apart, each starting with `@<send time in ms, high resolution>|` so a client can time every chunk's trip
 * through the server (same machine: `performance.timeOrigin + performance.now()` agree across processes).
 * `piece:<chunks>x<ms>` does the same with 8-character pieces (piece-stamp.ts).
 */
function parseRequest(raw: Buffer): { stream: boolean; pace: Pace } {
  const body = JSON.parse(raw.toString('utf8')) as { stream?: boolean; messages?: ChatMessage[] };
  const last = body.messages?.findLast((m) => m.role === 'user');
  const match = /(pace|piece):(\d+)x(\d+)/.exec(typeof last?.content === 'string' ? last.content : '');
  return {
    stream: body.stream === true,
    pace: {
      chunks: Number(match?.[2] ?? 1),
      intervalMs: Number(match?.[3] ?? 0),
      compact: match?.[1] === 'piece',
    },
  };
}

/** The answer as OpenAI streams it: role, content chunks (paced), finish, usage, `[DONE]`. */
function streamAnswer(res: ServerResponse, completion: Completion, pace: Pace) {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const frame = (choices: unknown[], usage: unknown = null) =>
    `data: ${JSON.stringify({ id: completion.id, object: 'chat.completion.chunk', created: completion.created, model: completion.model, choices, usage })}\n\n`;
  const delta = (d: unknown, finish: string | null = null) =>
    frame([{ index: 0, delta: d, finish_reason: finish }]);
  const paced = pace.chunks > 1 || pace.intervalMs > 0;
  const text = completion.choices[0]?.message.content ?? '';
  let sent = 0;
  const next = () => {
    if (res.destroyed) return;
    if (sent < pace.chunks) {
      const stamp = (performance.timeOrigin + performance.now()).toFixed(3);
      const content = pace.compact ? pieceStamp() : paced ? `@${stamp}|` : text;
      res.write(sent === 0 ? delta({ role: 'assistant', content }) : delta({ content }));
      sent++;
      if (pace.intervalMs > 0) setTimeout(next, pace.intervalMs);
      else next();
      return;
    }
    res.end(`${delta({}, 'stop')}${frame([], completion.usage)}data: [DONE]\n\n`);
  };
  next();
}

function answer(req: IncomingMessage, raw: Buffer): [number, unknown] {
  if (req.method === 'GET' && req.url === '/stats') return [200, stats];
  if (req.method === 'POST' && req.url === '/stats/reset') {
    stats.requests = 0;
    stats.promptTokensTotal = 0;
    return [200, stats];
  }
  if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
    return [404, { error: { message: 'not found', type: 'invalid_request_error' } }];
  }
  let messages: ChatMessage[];
  try {
    messages = (JSON.parse(raw.toString('utf8')) as { messages?: ChatMessage[] }).messages ?? [];
  } catch {
    return [400, { error: { message: 'bad JSON', type: 'invalid_request_error' } }];
  }
  let chars = 0;
  let lastUser = '';
  for (const message of messages) {
    const text = typeof message.content === 'string' ? message.content : '';
    chars += text.length;
    if (message.role === 'user') lastUser = text;
  }
  // OpenAI's rule of thumb (four characters a token) plus a few tokens of framing per message.
  const promptTokens = Math.ceil(chars / 4) + 4 * messages.length;
  const content = `Echo: ${lastUser}`;
  const completionTokens = Math.ceil(content.length / 4);
  stats.requests++;
  stats.lastPromptMessages = messages.length;
  stats.lastPromptChars = chars;
  stats.lastPromptTokens = promptTokens;
  stats.promptTokensTotal += promptTokens;
  stats.lastBodyBytes = raw.length;
  return [
    200,
    {
      id: `chatcmpl-bench-${++ids}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: 'stand-in',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content, refusal: null },
          logprobs: null,
          finish_reason: 'stop',
        },
      ],
      usage: {
        prompt_tokens: promptTokens,
        completion_tokens: completionTokens,
        total_tokens: promptTokens + completionTokens,
      },
      system_fingerprint: null,
    },
  ];
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

server.keepAliveTimeout = 60_000;
// Several sockets, as the server has (server/src/port-listeners.ts): the stand-in for the model's network
// edge must not hold a burst of the server's new model connections in its accept queue.
const listeners = await listenOnPort(server, {
  port: Number(process.env.PORT ?? 0),
  host: '127.0.0.1',
  backlog: 4096,
  sockets: 8,
  pooled: false,
});
process.stdout.write(`OPENAI_BASE_URL=http://127.0.0.1:${listeners.address.port}/v1\n`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void listeners.close().then(() => process.exit(0));
    server.closeAllConnections();
  });
}
