import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { context, propagation } from '@opentelemetry/api';
import { defaultLocalKeyFile } from '@parley/config';
import {
  type ChatClient,
  type ChatClientOptions,
  type ChatStreamClient,
  createChatClient,
  createChatStreamClient,
  type SessionMetadata,
} from '@parley/rpc';
import { UsageError } from './errors.ts';

/** A stream the CLI writes to; `isTTY` decides prompts, spinners and confirmations. */
export type OutStream = NodeJS.WritableStream & { isTTY?: boolean; columns?: number; rows?: number };
export type InStream = NodeJS.ReadableStream & { isTTY?: boolean };

/** Everything a command touches outside itself, so tests can pass in-memory streams. */
export interface Io {
  stdout: OutStream;
  stderr: OutStream;
  stdin: InStream;
  env: Record<string, string | undefined>;
  /** Calls `handler` on Ctrl-C (SIGINT) until the returned function is called. */
  onInterrupt?: (handler: () => void) => () => void;
}

/** The client the CLI talks through: the unary calls and the streamed turns. */
export type CliClient = ChatClient & ChatStreamClient;

export type ClientFactory = (options: ChatClientOptions) => CliClient;

/** The real client: Twirp for the unary calls, Server-Sent Events for the streamed turns. */
export function createCliClient(options: ChatClientOptions): CliClient {
  const { baseUrl, apiKey, headers, timeoutMs } = options;
  const stream = createChatStreamClient({
    baseUrl,
    ...(apiKey ? { apiKey } : {}),
    ...(headers ? { headers } : {}),
    ...(timeoutMs ? { timeoutMs } : {}),
  });
  return { ...createChatClient(options), ...stream };
}

/** What a command handler gets: its streams, a connected client and the caller's session. */
export interface CommandContext {
  io: Io;
  client: CliClient;
  /** Sent on every call: the server scopes ownership by (API key, user id). */
  session: SessionMetadata;
  serverUrl: string;
}

export const DEFAULT_SERVER_URL = 'http://127.0.0.1:8080';

/** The global options every command shares. */
export interface GlobalOptions {
  server?: string;
  apiKey?: string;
}

type Env = Record<string, string | undefined>;

/** `--server`, else `PARLEY_URL`, else the local default; only http(s) URLs are accepted. */
export function resolveServerUrl(options: GlobalOptions, env: Env): string {
  const url = options.server || env.PARLEY_URL || DEFAULT_SERVER_URL;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`invalid server URL: ${url}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new UsageError(`the server URL must start with http:// or https://: ${url}`);
  }
  return url;
}

/** True when the URL points at this machine (127.0.0.0/8, localhost, ::1). */
export function isLoopbackUrl(url: string): boolean {
  let host: string;
  try {
    host = new URL(url).hostname.toLowerCase();
  } catch {
    return false;
  }
  host = host.replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

/**
 * `--api-key`, else `PARLEY_API_KEY`, else the key a keyless local server generated. That local key is a
 * credential for this machine's server only, so it is never sent anywhere else.
 */
export function resolveApiKey(options: GlobalOptions, env: Env, serverUrl: string): string | undefined {
  if (options.apiKey) return options.apiKey;
  if (env.PARLEY_API_KEY) return env.PARLEY_API_KEY;
  if (!isLoopbackUrl(serverUrl)) return undefined;
  return readLocalKey(defaultLocalKeyFile(env));
}

function readLocalKey(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** The session sent on every call; `PARLEY_USER` overrides the login name. */
export function cliSession(env: Env): SessionMetadata {
  return { platform: 'cli', userId: env.PARLEY_USER || loginName(env), chatId: '' };
}

function loginName(env: Env): string {
  try {
    return userInfo().username;
  } catch {
    // Containers may run as a uid without a passwd entry.
    return env.USER || env.LOGNAME || 'cli';
  }
}

const TRACEPARENT = /^00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$/;

/**
 * W3C trace context for every call, so the server's spans join the caller's trace: the active span's
 * (when an OpenTelemetry SDK with a propagator runs in this process), else `TRACEPARENT` and `TRACESTATE`
 * from the environment, the convention of CI systems and `otel-cli` for handing a trace to a child process.
 * A malformed `TRACEPARENT` is ignored rather than sent.
 */
export function traceHeaders(env: Env): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  if (carrier.traceparent) return carrier;
  const traceparent = env.TRACEPARENT?.trim().toLowerCase();
  if (!traceparent || !TRACEPARENT.test(traceparent)) return {};
  const tracestate = env.TRACESTATE?.trim();
  return tracestate ? { traceparent, tracestate } : { traceparent };
}

/** Builds the context a command runs with from the parsed global options. */
export function createContext(options: GlobalOptions, io: Io, createClient: ClientFactory): CommandContext {
  const serverUrl = resolveServerUrl(options, io.env);
  const apiKey = resolveApiKey(options, io.env, serverUrl);
  const headers = traceHeaders(io.env);
  const client = createClient({
    baseUrl: serverUrl,
    ...(apiKey ? { apiKey } : {}),
    ...(Object.keys(headers).length > 0 ? { headers } : {}),
  });
  return { io, client, session: cliSession(io.env), serverUrl };
}
