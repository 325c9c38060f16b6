import type { AttachmentPolicy } from '@parley/config';
import { AppError, tooLong, ValidationError } from '../errors/app-error.ts';
import type { AttachmentUpload, CheckedUpload } from './attachment-types.ts';
import { sniffAttachment } from './sniff.ts';

const MAX_NAME_CHARS = 255;

/**
 * Checks a message's uploads against the client's attachment policy before anything is stored or any
 * model is called: count, each file's size, all together, and (sniffed from the bytes) each file's
 * kind. Every refusal names its limit in the text and in `meta` (`limit`, and the number), and the
 * field: each upload's own (`attachments[i]` unless it says), `allField` for the message's files together.
 */
export async function checkUploads(
  uploads: readonly AttachmentUpload[],
  policy: AttachmentPolicy,
  allField = 'attachments',
): Promise<CheckedUpload[]> {
  if (uploads.length === 0) return [];
  if (uploads.length > policy.maxCount) {
    throw new ValidationError(allField, `must be at most ${policy.maxCount} files per message`, {
      limit: 'attachment_count',
      max_count: String(policy.maxCount),
    });
  }
  let total = 0;
  for (const [i, upload] of uploads.entries()) {
    const field = fieldOf(upload, i);
    const size = upload.data.byteLength;
    if (size === 0) throw new ValidationError(field, 'is empty');
    if (upload.fileName.length > MAX_NAME_CHARS) throw tooLong(`${field}.file_name`, MAX_NAME_CHARS);
    if (size > policy.maxBytes) {
      throw new ValidationError(
        field,
        `is ${formatBytes(size)}, over the limit of ${formatBytes(policy.maxBytes)} per file`,
        { limit: 'attachment_bytes', max_bytes: String(policy.maxBytes) },
      );
    }
    total += size;
  }
  if (total > policy.maxTurnBytes) {
    throw new ValidationError(
      allField,
      `are ${formatBytes(total)} together, over the limit of ${formatBytes(policy.maxTurnBytes)} per message`,
      { limit: 'attachment_turn_bytes', max_bytes: String(policy.maxTurnBytes) },
    );
  }
  const checked: CheckedUpload[] = [];
  for (const [i, upload] of uploads.entries()) {
    const field = fieldOf(upload, i);
    const sniffed = await sniffAttachment(upload.data, upload.fileName, field);
    if (!policy.kinds.includes(sniffed.kind)) {
      throw new AppError('permission_denied', `this client may not send ${KIND_NAMES[sniffed.kind]}`, {
        meta: {
          argument: field,
          limit: 'attachment_kinds',
          allowed_kinds: policy.kinds.join(','),
        },
      });
    }
    checked.push({ ...sniffed, name: upload.fileName, data: upload.data, field });
  }
  return checked;
}

function fieldOf(upload: AttachmentUpload, index: number): string {
  return upload.field ?? `attachments[${index}]`;
}

const KIND_NAMES = { image: 'images', audio: 'audio', document: 'documents' } as const;

/** "12.5 MiB", "900 KiB", "17 bytes": a size a person reads at a glance. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${Number((bytes / (1024 * 1024)).toFixed(1))} MiB`;
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} KiB`;
  return `${bytes} bytes`;
}
