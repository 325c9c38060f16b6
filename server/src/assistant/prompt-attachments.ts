/** What the prompt needs of an attachment (a stored attachment's metadata fits). */
export interface PromptAttachment {
  id: string;
  kind: 'image' | 'audio' | 'document';
  mediaType: string;
  name: string;
  transcript?: string;
  text?: string;
  truncated?: boolean;
}

/** How a message's images reach the model: as image parts, left out for room, or not at all. */
export type ImageMode = 'shown' | 'dropped' | 'blind';

const IMAGE_NOTES: Record<ImageMode, string> = {
  shown: 'attached below',
  dropped: 'not shown any more: older images are left out to fit the context',
  blind: 'not shown: this model cannot see images',
};

/**
 * A user message's text as the model reads it: what the user typed (or, for a voice note alone, its
 * transcript), then each attachment said in words: a transcript, a document's text between markers (and
 * whether it was cut short), an image's place. The model is told plainly what it did not get.
 */
export function promptText(
  message: { content: string; attachments?: PromptAttachment[] },
  images: ImageMode,
): string {
  const parts = message.content ? [message.content] : [];
  for (const attachment of message.attachments ?? []) {
    const named = attachment.name ? ` "${attachment.name}"` : '';
    if (attachment.kind === 'audio') {
      // A voice note sent alone is the message itself: its transcript is already the content.
      if (attachment.transcript === message.content) continue;
      parts.push(`[Voice message${named}, transcribed] ${attachment.transcript || '(no speech recognized)'}`);
    } else if (attachment.kind === 'document') {
      const cut = attachment.truncated
        ? ' (too long: only its beginning is included; say so if the answer may depend on the rest)'
        : '';
      parts.push(
        `[Document${named}, ${attachment.mediaType}${cut}]\n${attachment.text ?? ''}\n[End of document${named}]`,
      );
    } else {
      parts.push(`[Image${named}: ${IMAGE_NOTES[images]}]`);
    }
  }
  return parts.join('\n\n');
}
