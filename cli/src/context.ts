import type { ChatClient, ChatClientOptions, SessionMetadata } from '@parley/rpc';

/** A stream the CLI writes to; `isTTY` decides prompts, spinners and confirmations. */
export type OutStream = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
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

export type ClientFactory = (options: ChatClientOptions) => ChatClient;

/** What a command handler gets: its streams, a connected client and the caller's session. */
export interface CommandContext {
  io: Io;
  client: ChatClient;
  /** Sent on every call: the server scopes ownership by (API key, user id). */
  session: SessionMetadata;
  serverUrl: string;
}
