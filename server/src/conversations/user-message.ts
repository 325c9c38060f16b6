import type { Assistant, ImageLoader } from '../assistant/assistant.ts';
import type { AttachmentIntake } from '../attachments/attachment-intake.ts';
import type { CheckedUpload, PreparedAttachment } from '../attachments/attachment-types.ts';
import { AppError } from '../errors/app-error.ts';
import type { ConversationStore, NewMessage, Owner, StoredMessage } from './conversation-store.ts';

/**
 * The user message of a turn, with its files made ready: refused up front when it carries an image the
 * conversation's model cannot see (`failed_precondition`, never a blind answer), audio transcribed and
 * documents read. Nothing is stored here: whatever fails, fails before the message exists.
 */
export async function prepareUserMessage(
  input: {
    message: string;
    uploads: readonly CheckedUpload[];
    conversationModel: string;
    signal: AbortSignal;
  },
  deps: { assistant: Assistant; intake: AttachmentIntake | undefined },
): Promise<NewMessage> {
  const { message, uploads } = input;
  if (uploads.length === 0) return { role: 'user', content: message };
  const image = uploads.find((u) => u.kind === 'image');
  if (image && !deps.assistant.seesImages(input.conversationModel)) {
    const model = deps.assistant.modelFor(input.conversationModel);
    throw new AppError(
      'failed_precondition',
      `the model "${model}" cannot see images: describe the picture in words, or use a vision model`,
      { meta: { reason: 'model_without_vision', model, argument: image.field } },
    );
  }
  if (!deps.intake) {
    throw new AppError('failed_precondition', 'this server does not take attachments', {
      meta: { reason: 'attachments_disabled' },
    });
  }
  const attachments = await deps.intake.prepare(uploads, input.signal);
  return { role: 'user', content: message || spokenText(attachments), attachments };
}

/** A voice note sent without text is the message: its transcript is what the user said. */
function spokenText(attachments: PreparedAttachment[]): string {
  return attachments
    .filter((a) => a.kind === 'audio' && a.transcript)
    .map((a) => a.transcript)
    .join('\n');
}

/** What a new conversation is called before the model titles it: the text, else the first file's name. */
export function titleSource(message: {
  content: string;
  attachments?: readonly { kind: 'image' | 'audio' | 'document'; name: string }[];
}): string {
  if (message.content) return message.content;
  const first = message.attachments?.[0];
  if (!first) return '';
  return first.name || { image: 'Photo', audio: 'Voice message', document: 'Document' }[first.kind];
}

/** A retried request's already stored message: the same text, or (without text) the same files. */
export function sameUserMessage(stored: StoredMessage, message: string, uploadCount: number): boolean {
  if (uploadCount === 0) return stored.content === message && !stored.attachments;
  const files = stored.attachments?.length ?? 0;
  return files === uploadCount && (message === '' || stored.content === message);
}

/** Loads the owner's stored images for the prompt. */
export function imageLoader(store: ConversationStore, owner: Owner): ImageLoader {
  return async (id) => {
    const found = await store.attachment(id, owner);
    return found?.meta.kind === 'image' ? { mediaType: found.meta.mediaType, data: found.data } : null;
  };
}
