import type { Assistant } from '../assistant/assistant.ts';
import type { ContextMessage } from '../assistant/context-window.ts';
import type { LlmMessage } from '../assistant/llm.ts';
import { promptText } from '../assistant/prompt-attachments.ts';
import type { AttachmentIntake } from '../attachments/attachment-intake.ts';
import type { CheckedUpload } from '../attachments/attachment-types.ts';
import type { ConversationStore, NewMessage } from './conversation-store.ts';
import { prepareUserMessage } from './user-message.ts';

/** A message of a history turn; a user message may carry files (checked against the client's policy). */
export type HistoryTurnMessage = LlmMessage & { uploads?: readonly CheckedUpload[] };

/** A history turn's messages made ready: as they are stored, and as the model reads them. */
export interface ReadyMessages {
  stored: NewMessage[];
  context: ContextMessage[];
}

/**
 * Makes a stateless client's messages ready exactly as a Parley turn's user message is made ready
 * ({@link prepareUserMessage}): images refused for a model that cannot see, audio transcribed, documents
 * read. Then, as the model reads them, files are said in words beside the text and images travel as
 * image parts (with the text to send when older images are left out for room). Nothing is stored here.
 */
export async function readyMessages(
  messages: readonly HistoryTurnMessage[],
  turn: { model: string; signal: AbortSignal },
  deps: { assistant: Assistant; intake: AttachmentIntake | undefined },
): Promise<ReadyMessages> {
  const stored: NewMessage[] = [];
  const context: ContextMessage[] = [];
  for (const message of messages) {
    const uploads = message.role === 'user' ? (message.uploads ?? []) : [];
    if (uploads.length === 0) {
      stored.push(toStored(message));
      context.push(withoutFiles(message));
      continue;
    }
    const prepared = await prepareUserMessage(
      { message: message.content, uploads, conversationModel: turn.model, signal: turn.signal },
      deps,
    );
    stored.push(prepared);
    context.push(contextOf(prepared));
  }
  return { stored, context };
}

/**
 * The history's audio with the transcripts stored for it, so an OpenAI client resending its history does
 * not have it transcribed (and charged) again. Only for a history that matched the conversation's
 * transcript: its fingerprint counts each file's bytes, so the k-th user message of the history is the
 * conversation's k-th stored user message, with the same files.
 */
export async function withStoredTranscripts(
  messages: readonly HistoryTurnMessage[],
  newFrom: number,
  conversation: { id: string; messageCount: number },
  store: ConversationStore,
): Promise<readonly HistoryTurnMessage[]> {
  const audio = (m: HistoryTurnMessage) => m.role === 'user' && m.uploads?.some((u) => u.kind === 'audio');
  if (!messages.slice(0, newFrom).some(audio)) return messages;
  const stored = await store.messages(conversation.id, { afterSeq: 0, limit: conversation.messageCount });
  const storedUsers = stored.filter((m) => m.role === 'user');
  let k = 0;
  return messages.map((message, i) => {
    if (i >= newFrom || message.role !== 'user') return message;
    const files = storedUsers[k++]?.attachments ?? [];
    if (!message.uploads || files.length !== message.uploads.length) return message;
    const uploads = message.uploads.map((upload, j) => {
      const file = files[j];
      return upload.kind === 'audio' && file?.kind === 'audio' && file.transcript !== undefined
        ? { ...upload, heard: file.transcript }
        : upload;
    });
    return { ...message, uploads };
  });
}

function contextOf(prepared: NewMessage): ContextMessage {
  const attachments = (prepared.attachments ?? []).map((a) => ({ ...a, id: '' }));
  const said = { content: prepared.content, attachments };
  const images = attachments
    .filter((a) => a.kind === 'image')
    .map((a) => ({ mediaType: a.mediaType, data: a.data }));
  if (images.length === 0) return { role: 'user', content: promptText(said, 'shown') };
  return {
    role: 'user',
    content: promptText(said, 'shown'),
    images,
    withoutImages: promptText(said, 'dropped'),
  };
}

function withoutFiles(message: HistoryTurnMessage): LlmMessage {
  if (message.role !== 'user') return message;
  return { role: 'user', content: message.content };
}

function toStored(message: LlmMessage): NewMessage {
  switch (message.role) {
    case 'assistant':
      return {
        role: 'assistant',
        content: message.content,
        toolCalls: (message.toolCalls ?? []).map(pendingRecord),
      };
    case 'tool':
      // The call it answers travels as the record's id.
      return {
        role: 'tool',
        content: message.content,
        toolCalls: [
          { id: message.toolCallId, name: '', arguments: '', result: message.content, isError: false },
        ],
      };
    default:
      return { role: message.role, content: message.content };
  }
}

/** A call of the client's tool, stored with the reply; its result arrives as a tool message. */
export function pendingRecord(call: { id: string; name: string; arguments: string }) {
  return { id: call.id, name: call.name, arguments: call.arguments, result: '', isError: false };
}
