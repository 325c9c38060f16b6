import type { RpcInterceptor, RpcOptions } from '@protobuf-ts/runtime-rpc';
import { RpcError } from '@protobuf-ts/runtime-rpc';
import { TwirpFetchTransport } from '@protobuf-ts/twirp-transport';
import { ChatServiceClient as GeneratedClient } from './gen/parley/chat/v1/chat.client.ts';
import {
  ContinueConversationRequest,
  type ContinueConversationResponse,
  DeleteConversationRequest,
  type DeleteConversationResponse,
  DescribeConversationRequest,
  type DescribeConversationResponse,
  ListConversationsRequest,
  type ListConversationsResponse,
  ListToolsRequest,
  type ListToolsResponse,
  StartConversationRequest,
  type StartConversationResponse,
  SwitchConversationRequest,
  type SwitchConversationResponse,
} from './gen/parley/chat/v1/chat.ts';
import { tracePropagation } from './trace-propagation.ts';

export * from './collect-turn.ts';
export * from './gen/google/protobuf/timestamp.ts';
export * from './gen/parley/chat/v1/chat.ts';
export { type ChatServiceTwirp, createChatServiceServer } from './gen/parley/chat/v1/chat.twirp.ts';
export * from './stream.ts';

/** Options of {@link createChatClient}. */
export interface ChatClientOptions {
  /** The server's base URL, e.g. `http://127.0.0.1:8080` (the `/twirp` prefix is added). */
  baseUrl: string;
  /** Bearer API key identifying the calling client. */
  apiKey?: string;
  /** Send JSON instead of binary protobuf (default false). */
  json?: boolean;
  /** Per-call deadline in milliseconds (default 120 s, above the server's model timeout). */
  timeoutMs?: number;
  /** Extra headers on every call (e.g. `traceparent`). */
  headers?: Record<string, string>;
  /** protobuf-ts interceptors, e.g. for tracing. */
  interceptors?: RpcInterceptor[];
}

/** A partial request: every field is optional, as protobuf makes them. */
type Req<T> = Partial<T>;

/** The typed ChatService client: one promise per call, errors as {@link RpcError}. */
export interface ChatClient {
  startConversation(
    req: Req<StartConversationRequest>,
    opts?: RpcOptions,
  ): Promise<StartConversationResponse>;
  continueConversation(
    req: Req<ContinueConversationRequest>,
    opts?: RpcOptions,
  ): Promise<ContinueConversationResponse>;
  listConversations(
    req: Req<ListConversationsRequest>,
    opts?: RpcOptions,
  ): Promise<ListConversationsResponse>;
  describeConversation(
    req: Req<DescribeConversationRequest>,
    opts?: RpcOptions,
  ): Promise<DescribeConversationResponse>;
  deleteConversation(
    req: Req<DeleteConversationRequest>,
    opts?: RpcOptions,
  ): Promise<DeleteConversationResponse>;
  switchConversation(
    req: Req<SwitchConversationRequest>,
    opts?: RpcOptions,
  ): Promise<SwitchConversationResponse>;
  listTools(req?: Req<ListToolsRequest>, opts?: RpcOptions): Promise<ListToolsResponse>;
}

/** Creates a ChatService client over Twirp (binary protobuf by default, JSON with `json: true`). */
export function createChatClient(options: ChatClientOptions): ChatClient {
  const meta: Record<string, string> = { ...options.headers };
  if (options.apiKey) meta.authorization = `Bearer ${options.apiKey}`;
  const transport = new TwirpFetchTransport({
    baseUrl: `${options.baseUrl.replace(/\/+$/, '')}/twirp`,
    sendJson: options.json ?? false,
    meta,
    timeout: options.timeoutMs ?? 120_000,
    interceptors: [tracePropagation, ...(options.interceptors ?? [])],
    jsonOptions: { ignoreUnknownFields: true },
  });
  const client = new GeneratedClient(transport);
  const timeoutMs = options.timeoutMs ?? 120_000;
  // protobuf-ts's Twirp transport ignores `timeout`: a deadline is an abort signal of our own.
  const withDeadline = (opts: RpcOptions = {}): RpcOptions => {
    const deadline = AbortSignal.timeout(timeoutMs);
    return { ...opts, abort: opts.abort ? AbortSignal.any([opts.abort, deadline]) : deadline };
  };
  return {
    startConversation: async (req, opts) =>
      (await client.startConversation(StartConversationRequest.create(req), withDeadline(opts))).response,
    continueConversation: async (req, opts) =>
      (await client.continueConversation(ContinueConversationRequest.create(req), withDeadline(opts)))
        .response,
    listConversations: async (req, opts) =>
      (await client.listConversations(ListConversationsRequest.create(req), withDeadline(opts))).response,
    describeConversation: async (req, opts) =>
      (await client.describeConversation(DescribeConversationRequest.create(req), withDeadline(opts)))
        .response,
    deleteConversation: async (req, opts) =>
      (await client.deleteConversation(DeleteConversationRequest.create(req), withDeadline(opts))).response,
    switchConversation: async (req, opts) =>
      (await client.switchConversation(SwitchConversationRequest.create(req), withDeadline(opts))).response,
    listTools: async (req = {}, opts) =>
      (await client.listTools(ListToolsRequest.create(req), withDeadline(opts))).response,
  };
}

/** A short, human description of a failed call, safe to show to a user. */
export interface RpcErrorDescription {
  /** The Twirp code (`unavailable`, `not_found`, ...), or `unreachable` when no server answered. */
  code: string;
  message: string;
  /** Seconds to wait, when the server said so (`resource_exhausted`). */
  retryAfterSeconds?: number;
}

const UNREACHABLE = /fetch failed|ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ECONNRESET|socket hang up/i;

/**
 * Turns any error from a ChatService call into one clear line. Copes with proxies that answer with
 * non-JSON bodies (an HTML 502 arrives as a generic error) and with servers that cannot be reached.
 */
export function describeRpcError(err: unknown): RpcErrorDescription {
  if (!isRpcError(err)) {
    const text = err instanceof Error ? `${err.message} ${String(err.cause ?? '')}` : String(err);
    if (UNREACHABLE.test(text)) return { code: 'unreachable', message: 'cannot reach the Parley server' };
    return { code: 'unknown', message: err instanceof Error ? err.message : 'unknown error' };
  }
  const code = err.code;
  if (/unable to read response body/.test(err.message)) {
    return {
      code: 'unavailable',
      message: 'the server answered with something that is not a Twirp response',
    };
  }
  // Failures below Twirp (network, deadline, cancel) arrive with transport codes, not the server's.
  const transportLevel = ['internal', 'unknown', 'UNKNOWN', 'cancelled', 'CANCELLED'].includes(code);
  if (transportLevel && /timeout|timed out/i.test(err.message)) {
    return { code: 'deadline_exceeded', message: 'the server did not answer in time' };
  }
  const cause = (err as { cause?: unknown }).cause;
  if (transportLevel && (UNREACHABLE.test(err.message) || (cause && UNREACHABLE.test(String(cause))))) {
    return { code: 'unreachable', message: 'cannot reach the Parley server' };
  }
  if (code === 'cancelled' || code === 'CANCELLED')
    return { code: 'cancelled', message: 'the call was cancelled' };
  const description: RpcErrorDescription = { code, message: err.message || code };
  const retryAfter = Number(firstMeta(err.meta, 'retry_after') ?? firstMeta(err.meta, 'retry-after'));
  if (Number.isFinite(retryAfter) && retryAfter > 0) description.retryAfterSeconds = retryAfter;
  return description;
}

/** True for the errors a ChatService call rejects with (checked structurally, across package copies). */
export function isRpcError(err: unknown): err is RpcError {
  return err instanceof RpcError || (err instanceof Error && err.name === 'RpcError' && 'code' in err);
}

function firstMeta(meta: RpcError['meta'] | undefined, key: string): string | undefined {
  const value = meta?.[key];
  return Array.isArray(value) ? value[0] : value;
}

export { RpcError };
