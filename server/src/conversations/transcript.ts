import { createHash } from 'node:crypto';
import type { LlmMessage } from '../assistant/llm.ts';

/**
 * The fingerprint of a transcript as a stateless (OpenAI-compatible) client holds it: the messages it
 * sends back on its next request. A stored conversation keeps the fingerprint of its transcript, so a
 * request whose history has the same fingerprint continues it with one indexed lookup, and any other
 * history (edited, regenerated, trimmed) finds nothing and starts a new conversation.
 *
 * A user message's files count by their bytes (a SHA-256 of each, in order): the same text with another
 * picture is another transcript.
 *
 * The fingerprint is rolling — each message folds into the one before — so the fingerprint after a turn
 * follows from the request history's without reading the conversation back.
 */
export const EMPTY_TRANSCRIPT = digest('parley-transcript-v1');

/** A message as the transcript counts it: with the bytes of the files a user message carried. */
export type TranscriptMessage = LlmMessage & { uploads?: readonly { data: Uint8Array }[] };

/** Folds messages into a fingerprint (EMPTY_TRANSCRIPT for a transcript without messages). */
export function extendTranscript(fingerprint: string, messages: readonly TranscriptMessage[]): string {
  let current = fingerprint;
  for (const message of messages) current = digest(`${current}\n${canonical(message)}`);
  return current;
}

/**
 * One message as clients echo it: an empty text and a missing one are the same, and tool-call
 * arguments are compared as JSON values (clients such as the Vercel AI SDK parse and re-serialize them).
 */
function canonical(message: TranscriptMessage): string {
  switch (message.role) {
    case 'assistant': {
      const calls = (message.toolCalls ?? []).map((c) => [c.id, c.name, canonicalJson(c.arguments)]);
      return JSON.stringify(['assistant', message.content, calls]);
    }
    case 'tool':
      return JSON.stringify(['tool', message.content, message.toolCallId]);
    default: {
      // Without files, the form fingerprints stored before files were counted had: they still match.
      const files = (message.uploads ?? []).map((f) =>
        createHash('sha256').update(f.data).digest('base64url'),
      );
      return JSON.stringify(
        files.length > 0 ? [message.role, message.content, files] : [message.role, message.content],
      );
    }
  }
}

function canonicalJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text));
  } catch {
    return text;
  }
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('base64url');
}
