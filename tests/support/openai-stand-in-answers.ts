import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ChatRequestBody, StandInToolCall, StandInUsage } from './openai-stand-in.ts';

// What the OpenAI stand-in answers: streamed chunks, usage estimates, OpenAI-shaped errors.

/** How a streamed reply is paced: benchmarks spread a reply over time (e.g. 10 s over 50 chunks). */
export interface StreamPacing {
  /** Content pieces the reply text is cut into (default: pieces of about 8 characters). */
  chunks?: number;
  /** Pause between two chunks, in milliseconds (default 0: all at once). */
  intervalMs?: number;
}

export interface StreamedReply {
  id: string;
  model: string;
  content: string | null;
  toolCalls: Array<{ id: string; type: 'function'; function: { name: string; arguments: string } }>;
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

/**
 * Writes a reply as OpenAI's SSE `chat.completion.chunk`s: role, content deltas, tool-call deltas (the
 * name first, the arguments across several chunks), finish reason, usage when asked for, `[DONE]`.
 * Resolves with the number of chunks written; stops early when the client went away, or where
 * `endAfterChunks` cuts the answer short.
 */
export async function streamReply(
  res: ServerResponse,
  reply: StreamedReply,
  options: {
    includeUsage: boolean;
    pacing: StreamPacing;
    sleep: (ms: number) => Promise<void>;
    onChunk: () => void;
    /** Ends the response cleanly after this many chunks: no finish reason, no usage, no `[DONE]`. */
    endAfterChunks?: number | undefined;
    /** Sends this many chunks, then leaves the response open without another byte. */
    stallAfterChunks?: number | undefined;
    /** Pauses after this many chunks until `until` settles. */
    hold?: { afterChunks: number; until: Promise<unknown> } | undefined;
  },
): Promise<number> {
  const all = chunkFrames(reply, options.includeUsage, options.pacing.chunks);
  const cut = options.endAfterChunks ?? options.stallAfterChunks;
  const frames = cut === undefined ? all : all.slice(0, cut);
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  let sent = 0;
  for (const frame of frames) {
    if (sent > 0 && options.pacing.intervalMs) await options.sleep(options.pacing.intervalMs);
    if (sent === options.hold?.afterChunks) await options.hold.until.catch(() => {});
    if (res.destroyed) return sent;
    res.write(`data: ${frame}\n\n`);
    sent++;
    options.onChunk();
  }
  // A stalled answer stays open: the client's watchdog (or the stand-in's close) ends it.
  if (options.stallAfterChunks !== undefined) return sent;
  if (cut === undefined) res.end('data: [DONE]\n\n');
  else res.end();
  return sent;
}

function chunkFrames(reply: StreamedReply, includeUsage: boolean, pieceCount?: number): string[] {
  const created = Math.floor(Date.now() / 1000);
  const frames: string[] = [];
  const chunk = (choices: unknown[], usage: unknown = null) => {
    const data = { id: reply.id, object: 'chat.completion.chunk', created, model: reply.model, choices };
    frames.push(JSON.stringify(includeUsage ? { ...data, usage } : data));
  };
  const delta = (d: Record<string, unknown>, finish: string | null = null) =>
    chunk([{ index: 0, delta: d, logprobs: null, finish_reason: finish }]);

  const hasTools = reply.toolCalls.length > 0;
  delta({ role: 'assistant', content: hasTools && !reply.content ? null : '', refusal: null });
  for (const piece of pieces(reply.content ?? '', pieceCount)) delta({ content: piece });
  reply.toolCalls.forEach((call, index) => {
    delta({
      tool_calls: [
        { index, id: call.id, type: 'function', function: { name: call.function.name, arguments: '' } },
      ],
    });
    for (const piece of pieces(call.function.arguments))
      delta({ tool_calls: [{ index, function: { arguments: piece } }] });
  });
  delta({}, hasTools ? 'tool_calls' : 'stop');
  if (includeUsage) chunk([], reply.usage);
  return frames;
}

/** Splits text the way models stream it: several small deltas, or `count` even ones when asked. */
export function pieces(text: string, count?: number): string[] {
  if (!text) return [];
  if (!count || count < 1) return text.match(/[\s\S]{1,8}/g) ?? [];
  const chars = Array.from(text);
  const size = Math.ceil(chars.length / Math.min(count, chars.length));
  const out: string[] = [];
  for (let i = 0; i < chars.length; i += size) out.push(chars.slice(i, i + size).join(''));
  return out;
}

export function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((part: { text?: unknown }) => (typeof part.text === 'string' ? part.text : '')).join('');
}

/** Roughly four characters a token, as OpenAI's rule of thumb; never zero. */
export function estimateUsage(body: ChatRequestBody, output: string): StandInUsage {
  const input = (body.messages ?? []).reduce((sum, m) => sum + textOf(m.content).length + 4, 0);
  return {
    prompt_tokens: Math.max(1, Math.ceil(input / 4)),
    completion_tokens: Math.max(1, Math.ceil(output.length / 4)),
  };
}

export function withTotal(usage: StandInUsage): StandInUsage & { total_tokens: number } {
  return { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens };
}

/** OpenAI's error shape; the texts resemble OpenAI's so tests can check they never reach clients. */
export function errorBody(status: number, message?: string): unknown {
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

export function wireToolCalls(calls: StandInToolCall[], replyNumber: number): StreamedReply['toolCalls'] {
  return calls.map((call, i) => ({
    id: call.id ?? `call_${replyNumber}_${i}`,
    type: 'function' as const,
    function: {
      name: call.name,
      arguments: typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments),
    },
  }));
}

/** A non-streamed `chat.completion`. */
export function completionBody(reply: StreamedReply): unknown {
  const { content, toolCalls } = reply;
  return {
    id: reply.id,
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
    usage: reply.usage,
    system_fingerprint: null,
  };
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
