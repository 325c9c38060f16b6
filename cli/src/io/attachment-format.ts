import { AttachmentKind, type Message } from '@parley/rpc';

// How a message's files read in a terminal: `show`, a resumed chat, and the notes after sending them.

/** "12 KiB", "3.4 MiB". */
export function formatSize(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${Number((bytes / (1024 * 1024)).toFixed(1))} MiB`;
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} KiB`;
  return `${bytes} bytes`;
}

const KIND_LABELS: Record<number, string> = {
  [AttachmentKind.IMAGE]: 'image',
  [AttachmentKind.AUDIO]: 'audio',
  [AttachmentKind.DOCUMENT]: 'document',
};

/** One line per file of a message (`show`, a resumed chat): name, type, size, and what was heard. */
export function formatAttachments(message: Message): string[] {
  const lines: string[] = [];
  for (const file of message.attachments ?? []) {
    const name = file.name || KIND_LABELS[file.kind] || 'file';
    const cut = file.truncated ? ', only its beginning was read' : '';
    lines.push(`  📎 ${name} (${file.mediaType}, ${formatSize(Number(file.sizeBytes))}${cut})`);
    if (file.kind === AttachmentKind.AUDIO) lines.push(`     heard: “${file.transcript}”`);
  }
  return lines;
}

/** What the user should see of their files once the server has them: what it heard, what it cut. */
export function attachmentNotes(userMessage: Message | undefined): string[] {
  const notes: string[] = [];
  for (const file of userMessage?.attachments ?? []) {
    if (file.kind === AttachmentKind.AUDIO) notes.push(`heard: “${file.transcript}”`);
    if (file.truncated) notes.push(`${file.name || 'document'} is long: only its beginning was read`);
  }
  return notes;
}
