import type { Logger } from '@parley/logger';

/** A tool call as the client sees it while it runs. */
export interface ToolProgress {
  id: string;
  name: string;
  /** JSON text, as the model sent it. */
  arguments: string;
  /** Set once finished. */
  result?: string;
  isError?: boolean;
  /** Where the tool comes from: `builtin`, or `mcp:<server>`. */
  provenance: string;
}

/** What the assistant reports while it writes a reply. */
export type ReplyEvent =
  | { type: 'delta'; text: string }
  | { type: 'tool'; phase: 'started' | 'finished'; tool: ToolProgress };

/**
 * The part of a request's scope the assistant uses: the request's logger (tools log with its ids), the
 * signal that fires when the client is gone or the turn's deadline passes, and where progress goes. The
 * edge builds one scope per request; each layer below names only the part it needs.
 */
export interface ReplyScope {
  readonly signal: AbortSignal;
  readonly logger: Logger;
  emit(event: ReplyEvent): void;
}
