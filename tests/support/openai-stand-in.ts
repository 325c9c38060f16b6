import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';

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

/** What the stand-in does with one chat-completion request. */
export type StandInStep =
  | { reply: string; usage?: StandInUsage }
  | { toolCalls: StandInToolCall[]; usage?: StandInUsage }
  | { status: number; body?: unknown; headers?: Record<string, string> }
  | { delayMs: number; then: StandInStep }
  | { hang: true }
  | { dropConnection: true };

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

export interface OpenAiStandIn {
  /** Base URL including `/v1`, for the SDK's `baseURL`. */
  readonly url: string;
  readonly requests: RecordedRequest[];
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

export async function startOpenAiStandIn(options: { port?: number } = {}): Promise<OpenAiStandIn> {
  const steps: StandInStep[] = [];
  const requests: RecordedRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let responder = echo;
  let ids = 0;

  const server = createServer((req, res) => {
    void handle(req, res).catch(() => res.destroy());
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const receivedAt = Date.now();
    const path = (req.url ?? '/').split('?')[0]?.replace(/^\/v1(?=\/)/, '') ?? '/';
    const text = await readBody(req);
    let body: ChatRequestBody = {};
    let malformed = false;
    try {
      body = text ? (JSON.parse(text) as ChatRequestBody) : {};
    } catch {
      malformed = true;
    }
    requests.push({
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      headers: req.headers,
      body,
      receivedAt,
    });

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
    if (req.method !== 'POST' || path !== '/chat/completions') {
      return sendJson(res, 404, errorBody(404, `Unknown request URL: ${req.method} ${req.url}`));
    }
    if (malformed || !Array.isArray(body.messages)) {
      return sendJson(res, 400, errorBody(400, 'We could not parse the JSON body of your request.'));
    }
    await play(steps.shift() ?? responder(body), body, res);
  }

  async function play(step: StandInStep, body: ChatRequestBody, res: ServerResponse): Promise<void> {
    if ('delayMs' in step) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          timers.delete(timer);
          resolve();
        }, step.delayMs);
        timers.add(timer);
      });
      // The client may have given up (timeout) while we waited.
      if (res.destroyed) return;
      return play(step.then, body, res);
    }
    // Left open on purpose; close() destroys the socket.
    if ('hang' in step) return;
    if ('dropConnection' in step) {
      res.socket?.destroy();
      return;
    }
    if ('status' in step) {
      res.writeHead(step.status, { 'content-type': 'application/json', ...step.headers });
      res.end(JSON.stringify(step.body ?? errorBody(step.status)));
      return;
    }
    const id = `chatcmpl-standin-${++ids}`;
    const toolCalls =
      'toolCalls' in step
        ? step.toolCalls.map((call, i) => ({
            id: call.id ?? `call_${ids}_${i}`,
            type: 'function' as const,
            function: {
              name: call.name,
              arguments: typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments),
            },
          }))
        : [];
    const content = 'reply' in step ? step.reply : null;
    const usage = withTotal(step.usage ?? estimateUsage(body, content ?? JSON.stringify(toolCalls)));
    const reply: Reply = { id, model: body.model ?? 'stand-in', content, toolCalls, usage };
    if (body.stream) return stream(res, reply, body.stream_options?.include_usage === true);
    sendJson(res, 200, {
      id,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: reply.model,
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content,
            refusal: null,
            ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
          },
          logprobs: null,
          finish_reason: toolCalls.length > 0 ? 'tool_calls' : 'stop',
        },
      ],
      usage,
      system_fingerprint: null,
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  const standIn: OpenAiStandIn = {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
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
      responder = echo;
    },
    close() {
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

interface Reply {
  id: string;
  model: string;
  content: string | null;
  toolCalls: Array<{ id: string; type: 'function'; function: { name: string; arguments: string } }>;
  usage: StandInUsage & { total_tokens: number };
}

/** Writes the reply as OpenAI's SSE chunks: role, content or tool-call deltas, finish, usage, [DONE]. */
function stream(res: ServerResponse, reply: Reply, includeUsage: boolean): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const created = Math.floor(Date.now() / 1000);
  const chunk = (choices: unknown[], usage: unknown = null) => {
    const data = { id: reply.id, object: 'chat.completion.chunk', created, model: reply.model, choices };
    res.write(`data: ${JSON.stringify(includeUsage ? { ...data, usage } : data)}\n\n`);
  };
  const delta = (d: Record<string, unknown>, finish: string | null = null) =>
    chunk([{ index: 0, delta: d, logprobs: null, finish_reason: finish }]);

  delta({ role: 'assistant', content: reply.toolCalls.length > 0 ? null : '', refusal: null });
  for (const piece of pieces(reply.content ?? '')) delta({ content: piece });
  reply.toolCalls.forEach((call, index) => {
    delta({
      tool_calls: [
        { index, id: call.id, type: 'function', function: { name: call.function.name, arguments: '' } },
      ],
    });
    for (const piece of pieces(call.function.arguments))
      delta({ tool_calls: [{ index, function: { arguments: piece } }] });
  });
  delta({}, reply.toolCalls.length > 0 ? 'tool_calls' : 'stop');
  if (includeUsage) chunk([], reply.usage);
  res.end('data: [DONE]\n\n');
}

/** Splits text the way models stream it: several small deltas rather than one. */
function pieces(text: string): string[] {
  return text.match(/[\s\S]{1,8}/g) ?? [];
}

function echo(body: ChatRequestBody): StandInStep {
  const lastUser = body.messages?.findLast((m) => m.role === 'user');
  return { reply: `Echo: ${textOf(lastUser?.content)}` };
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((part: { text?: unknown }) => (typeof part.text === 'string' ? part.text : '')).join('');
}

/** Roughly four characters a token, as OpenAI's rule of thumb; never zero. */
function estimateUsage(body: ChatRequestBody, output: string): StandInUsage {
  const input = (body.messages ?? []).reduce((sum, m) => sum + textOf(m.content).length + 4, 0);
  return {
    prompt_tokens: Math.max(1, Math.ceil(input / 4)),
    completion_tokens: Math.max(1, Math.ceil(output.length / 4)),
  };
}

function withTotal(usage: StandInUsage): StandInUsage & { total_tokens: number } {
  return { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens };
}

/** OpenAI's error shape; the texts resemble OpenAI's so tests can check they never reach clients. */
function errorBody(status: number, message?: string): unknown {
  const [type, code, text] =
    status === 429
      ? ['requests', 'rate_limit_exceeded', 'Rate limit reached for requests.']
      : status === 401
        ? ['invalid_request_error', 'invalid_api_key', 'Incorrect API key provided.']
        : status >= 500
          ? ['server_error', null, 'The server had an error while processing your request.']
          : ['invalid_request_error', null, `The request failed with status ${status}.`];
  return { error: { message: message ?? text, type, param: null, code } };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

// Run directly (`tsx tests/support/openai-stand-in.ts`): an echoing stand-in for e2e tests and people.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const standIn = await startOpenAiStandIn({ port: Number(process.env.PORT ?? 0) });
  process.stdout.write(`OPENAI_BASE_URL=${standIn.url}\n`);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void standIn.close().then(() => process.exit(0)));
  }
}
