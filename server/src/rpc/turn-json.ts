import { Timestamp } from '@parley/rpc';
import type { LlmUsage } from '../assistant/llm.ts';
import type {
  AttachmentMeta,
  ConversationRecord,
  MessageRole,
  StoredMessage,
} from '../conversations/conversation-store.ts';
import type { ToolCallRecord } from '../tools/tool-runner.ts';
import type { TurnDone, TurnStarted } from '../turns/turn-event.ts';

// The protobuf JSON of a turn's `started` and `done` events and of the unary turn answers, written by
// hand from the records: the same bytes as protobuf-ts's writer (`useProtoFieldName`, default values left
// out, fields in declaration order) without building the wire messages, their Timestamps and the
// reflection writer's intermediate objects per turn. turn-json.test.ts holds them to the writer's output
// for many generated inputs; a field added to these messages in the proto must be added here too.

const ROLE_NAMES: Record<MessageRole, string> = {
  user: 'ROLE_USER',
  assistant: 'ROLE_ASSISTANT',
  system: 'ROLE_SYSTEM',
  tool: 'ROLE_TOOL',
};

const KIND_NAMES: Record<AttachmentMeta['kind'], string> = {
  image: 'ATTACHMENT_KIND_IMAGE',
  audio: 'ATTACHMENT_KIND_AUDIO',
  document: 'ATTACHMENT_KIND_DOCUMENT',
};

/** `{"started":{…}}`: a `TurnEvent` carrying `TurnStarted`. */
export function startedEventJson(event: TurnStarted): string {
  let out = '';
  out = stringField(out, 'conversation_id', event.conversationId);
  if (event.isNew) out = `${out}${out ? ',' : ''}"new_conversation":true`;
  if (event.userMessage) out = `${out}${out ? ',' : ''}"user_message":${messageJson(event.userMessage)}`;
  return `{"started":{${out}}}`;
}

/** `{"done":{…}}`: a `TurnEvent` carrying `TurnDone`. */
export function doneEventJson(event: TurnDone): string {
  const { turn } = event;
  let out = `"conversation":${conversationJson(turn?.conversation ?? event.conversation)}`;
  if (turn) {
    out = `${out},"reply":${messageJson(turn.reply)},"usage":${usageJson(turn.usage)}`;
    out = stringList(out, 'tools_used', turn.toolsUsed);
  }
  return `{"done":{${out}}}`;
}

/** A `ContinueConversationResponse`, from the turn's `started` (if any) and `done`. */
export function continueResponseJson(started: TurnStarted | undefined, done: TurnDone): string {
  const { turn } = done;
  let out = stringField('', 'conversation_id', (turn?.conversation ?? done.conversation).id);
  if (turn) {
    out = `${out}${out ? ',' : ''}"reply":${messageJson(turn.reply)},"usage":${usageJson(turn.usage)}`;
    out = stringList(out, 'tools_used', turn.toolsUsed);
  }
  if (started?.isNew) out = `${out}${out ? ',' : ''}"new_conversation":true`;
  return `{${out}}`;
}

/** A `StartConversationResponse`, from the turn's `done`. */
export function startResponseJson(done: TurnDone): string {
  const { turn } = done;
  let out = `"conversation":${conversationJson(turn?.conversation ?? done.conversation)}`;
  if (turn) out = `${out},"reply":${messageJson(turn.reply)},"usage":${usageJson(turn.usage)}`;
  return `{${out}}`;
}

function conversationJson(c: ConversationRecord): string {
  let out = stringField('', 'id', c.id);
  out = stringField(out, 'title', c.title);
  out = `${out}${out ? ',' : ''}"created_at":${timestampJson(c.createdAt)},"updated_at":${timestampJson(c.updatedAt)}`;
  if (c.messageCount !== 0) out = `${out},"message_count":${c.messageCount}`;
  out = stringField(out, 'platform', c.platform);
  out = stringField(out, 'chat_id', c.chatId);
  out = stringField(out, 'model', c.model);
  return `{${out}}`;
}

function messageJson(m: StoredMessage): string {
  let out = stringField('', 'id', m.id);
  out = `${out}${out ? ',' : ''}"role":"${ROLE_NAMES[m.role]}"`;
  out = stringField(out, 'content', m.content);
  out = `${out},"created_at":${timestampJson(m.createdAt)}`;
  if (m.toolCalls.length > 0) out = `${out},"tool_calls":[${m.toolCalls.map(toolCallJson).join(',')}]`;
  if (m.interrupted) out = `${out},"interrupted":true`;
  const attachments = m.attachments ?? [];
  if (attachments.length > 0) out = `${out},"attachments":[${attachments.map(attachmentJson).join(',')}]`;
  return `{${out}}`;
}

function toolCallJson(t: ToolCallRecord): string {
  let out = stringField('', 'id', t.id);
  out = stringField(out, 'name', t.name);
  out = stringField(out, 'arguments', t.arguments);
  out = stringField(out, 'result', t.result);
  if (t.isError) out = `${out}${out ? ',' : ''}"is_error":true`;
  return `{${out}}`;
}

function attachmentJson(a: AttachmentMeta): string {
  let out = stringField('', 'id', a.id);
  out = `${out}${out ? ',' : ''}"kind":"${KIND_NAMES[a.kind]}"`;
  out = stringField(out, 'media_type', a.mediaType);
  out = stringField(out, 'name', a.name);
  // int64 travels as a decimal string.
  if (a.sizeBytes !== 0) out = `${out},"size_bytes":"${String(a.sizeBytes)}"`;
  out = stringField(out, 'transcript', a.transcript ?? '');
  if (a.truncated) out = `${out},"truncated":true`;
  return `{${out}}`;
}

function usageJson(u: LlmUsage): string {
  let out = '';
  if (u.promptTokens !== 0) out = `"prompt_tokens":${u.promptTokens}`;
  if (u.completionTokens !== 0) out = `${out}${out ? ',' : ''}"completion_tokens":${u.completionTokens}`;
  if (u.totalTokens !== 0) out = `${out}${out ? ',' : ''}"total_tokens":${u.totalTokens}`;
  return `{${out}}`;
}

/** The latest instant protobuf's JSON Timestamp can hold (9999-12-31T23:59:59.999Z). */
const MAX_TIMESTAMP_MS = 253_402_300_799_999;

/**
 * RFC 3339 in UTC with 0 or 3 fractional digits, as protobuf-ts writes a Timestamp made from a Date.
 * Dates outside 1970…9999 take the generated writer's own path (and its errors).
 */
function timestampJson(date: Date): string {
  const ms = date.getTime();
  if (!(ms >= 0 && ms <= MAX_TIMESTAMP_MS)) {
    return JSON.stringify(Timestamp.toJson(Timestamp.fromDate(date)));
  }
  const iso = date.toISOString();
  return `"${iso.endsWith('.000Z') ? `${iso.slice(0, -5)}Z` : iso}"`;
}

function stringField(out: string, name: string, value: string): string {
  if (value === '') return out;
  return `${out}${out ? ',' : ''}"${name}":${JSON.stringify(value)}`;
}

function stringList(out: string, name: string, values: readonly string[]): string {
  if (values.length === 0) return out;
  return `${out}${out ? ',' : ''}"${name}":[${values.map((v) => JSON.stringify(v)).join(',')}]`;
}
