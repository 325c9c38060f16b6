import * as z from 'zod';
import type { LlmMessage } from '../assistant/llm.ts';
import type { AttachmentUpload } from '../attachments/attachment-types.ts';
import { ValidationError } from '../errors/app-error.ts';
import type { ToolDefinition } from '../tools/tool-runner.ts';
import { type Content, contentSchema as partsOf, readContent } from './content-parts.ts';

/**
 * The limits of one chat-completion request, beside the server's body size limit (MAX_BODY_BYTES) and
 * message size limit (MAX_MESSAGE_CHARS, which bounds the new message; history messages may be longer).
 */
export const COMPLETION_LIMITS = {
  /** Messages in one request (a client sends its whole history each time). */
  maxMessages: 1_000,
  /** Characters of any one history message, system messages included. */
  maxHistoryMessageChars: 100_000,
  /** Tools a client may declare (OpenAI's own limit). */
  maxTools: 128,
  /** The `user` field and the X-Parley-User header. */
  maxUserChars: 128,
  /** Tool-call ids and names. */
  maxIdChars: 128,
} as const;

const text = z.string().max(COMPLETION_LIMITS.maxHistoryMessageChars);
/** OpenAI's content: a string or an array of parts (files only in user messages). */
const contentSchema = partsOf(text);

const toolCall = z.object({
  id: z.string().min(1).max(COMPLETION_LIMITS.maxIdChars),
  type: z.literal('function').optional(),
  function: z.object({ name: z.string().min(1).max(64), arguments: z.string().max(100_000) }),
});

const message = z.discriminatedUnion('role', [
  z.object({ role: z.enum(['system', 'developer']), content: contentSchema }),
  z.object({ role: z.literal('user'), content: contentSchema }),
  z.object({
    role: z.literal('assistant'),
    content: contentSchema.nullish(),
    tool_calls: z.array(toolCall).max(COMPLETION_LIMITS.maxTools).optional(),
  }),
  z.object({
    role: z.literal('tool'),
    content: contentSchema,
    tool_call_id: z.string().min(1).max(COMPLETION_LIMITS.maxIdChars),
  }),
]);

const tool = z.object({
  type: z.literal('function'),
  function: z.object({
    name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 characters of A-Z, a-z, 0-9, _ and -'),
    description: z.string().max(4_000).optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
    strict: z.boolean().nullish(),
  }),
});

/** What the server reads of a request; other fields (temperature, top_p, …) are accepted and ignored. */
export const completionRequestSchema = z.object({
  model: z.string().trim().min(1).max(200),
  messages: z.array(message).min(1).max(COMPLETION_LIMITS.maxMessages),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().nullish() }).nullish(),
  tools: z.array(tool).max(COMPLETION_LIMITS.maxTools).nullish(),
  tool_choice: z.union([z.enum(['auto', 'none', 'required']), z.object({ type: z.string() })]).nullish(),
  user: z.string().max(COMPLETION_LIMITS.maxUserChars).nullish(),
  store: z.boolean().nullish(),
  n: z.literal(1, { error: 'only n = 1 is supported' }).nullish(),
});

export type CompletionRequestBody = z.infer<typeof completionRequestSchema>;

/** A request's message; a user message's files as sent, each naming its part (`messages[1].content[0]`). */
export type RequestMessage = LlmMessage & { uploads?: AttachmentUpload[] };

/** A checked request, in the engine's terms. */
export interface CompletionRequest {
  model: string;
  stream: boolean;
  includeUsage: boolean;
  /** Every message in order, system messages included (they are part of the transcript). */
  messages: RequestMessage[];
  /** Where the new messages begin (after the last assistant message). */
  newFrom: number;
  /** The client's system messages, joined: appended to the operator's prompt where the policy allows. */
  systemPrompt: string;
  clientTools: ToolDefinition[];
  /** OpenAI's end-user id (`user`), '' when absent. */
  user: string;
  store: boolean;
}

/** Parses and checks a request body (ValidationError naming the field otherwise). */
export function parseCompletionRequest(body: unknown, maxMessageChars: number): CompletionRequest {
  const parsed = completionRequestSchema.safeParse(body);
  if (!parsed.success) throw fromZod(parsed.error);
  const req = parsed.data;
  const messages = req.messages.map((m, i) => toLlmMessage(m, i));
  const lastAssistant = messages.findLastIndex((m) => m.role === 'assistant');
  const newFrom = lastAssistant + 1;
  const fresh = messages.slice(newFrom).filter((m) => m.role !== 'system');
  const last = messages.at(-1);
  if (!last || (last.role !== 'user' && last.role !== 'tool') || fresh.length === 0) {
    throw new ValidationError('messages', 'must end with a user message or tool results');
  }
  for (const [i, m] of fresh.entries()) {
    if (m.role === 'user' && m.content.length > maxMessageChars) {
      throw new ValidationError(
        `messages[${newFrom + i}].content`,
        `must be at most ${maxMessageChars} characters`,
        {
          max_chars: String(maxMessageChars),
        },
      );
    }
  }
  if (req.tool_choice && typeof req.tool_choice !== 'string') {
    throw new ValidationError(
      'tool_choice',
      'naming one function is not supported; use auto, none or required',
    );
  }
  const offerTools = req.tool_choice !== 'none';
  return {
    model: req.model,
    stream: req.stream === true,
    includeUsage: req.stream_options?.include_usage === true,
    messages,
    newFrom,
    systemPrompt: messages
      .filter((m) => m.role === 'system')
      .map((m) => m.content)
      .join('\n\n'),
    clientTools: offerTools ? (req.tools ?? []).map(toToolDefinition) : [],
    user: req.user ?? '',
    store: req.store !== false,
  };
}

type BodyMessage = CompletionRequestBody['messages'][number];

function toLlmMessage(m: BodyMessage, index: number): RequestMessage {
  switch (m.role) {
    case 'system':
    case 'developer':
      return { role: 'system', content: textOf(m.content, index) };
    case 'user': {
      const read = readContent(m.content, `messages[${index}].content`, true);
      return read.uploads.length > 0
        ? { role: 'user', content: read.text, uploads: read.uploads }
        : { role: 'user', content: read.text };
    }
    case 'tool':
      return { role: 'tool', content: textOf(m.content, index), toolCallId: m.tool_call_id };
    case 'assistant': {
      const calls = (m.tool_calls ?? []).map((c) => ({
        id: c.id,
        name: c.function.name,
        arguments: c.function.arguments,
      }));
      const content = m.content == null ? '' : textOf(m.content, index);
      return calls.length > 0
        ? { role: 'assistant', content, toolCalls: calls }
        : { role: 'assistant', content };
    }
  }
}

function textOf(content: Content, index: number): string {
  return readContent(content, `messages[${index}].content`, false).text;
}

function toToolDefinition(t: NonNullable<CompletionRequestBody['tools']>[number]): ToolDefinition {
  return {
    name: t.function.name,
    description: t.function.description ?? '',
    parameters: t.function.parameters ?? { type: 'object', properties: {} },
    strict: t.function.strict === true,
  };
}

/** The first problem zod found, as a ValidationError whose argument is the field's path (`messages[2].role`). */
function fromZod(error: z.ZodError): ValidationError {
  const issue = error.issues[0];
  const path = (issue?.path ?? [])
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`))
    .join('');
  return new ValidationError(path || 'body', issue ? issueText(issue) : 'is not a valid request');
}

function issueText(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type' && issue.input === undefined) return 'is required';
  return `is invalid: ${issue.message}`;
}
