import { describeRpcError, type RpcErrorDescription } from '@parley/rpc';
import type { Texts } from '../i18n/texts.ts';

/** A failed call reduced to what the bot may tell a user, plus a code for logs and metrics. */
export interface UserFacingError {
  /** Lower-case Twirp code, or `unreachable` / `unknown` (see `describeRpcError`). */
  code: string;
  /** Short, friendly, in the user's language, and never the server's own text (it may be internal). */
  text: string;
}

/**
 * Turns any error from a ChatService call into one short sentence for the chat. `describeRpcError`
 * classifies the failure; this only picks the bot's wording for it.
 */
export function describeForUser(err: unknown, texts: Texts): UserFacingError {
  const { t } = texts;
  const description = describeRpcError(err);
  const { code, retryAfterSeconds, argument, maxChars } = description;
  const refusal = policyRefusal(description, texts) ?? fileRefusal(description, texts);
  if (refusal) return { code, text: refusal };
  switch (code) {
    case 'unavailable':
      return { code, text: t('errors.unavailable') };
    case 'resource_exhausted':
      return {
        code,
        text: retryAfterSeconds
          ? t('errors.rateLimitedFor', { duration: texts.duration(retryAfterSeconds) })
          : t('errors.rateLimited'),
      };
    case 'invalid_argument':
      if (argument !== 'message') return { code, text: t('errors.badRequest') };
      if (description.reason === 'empty') return { code, text: t('errors.emptyMessage') };
      return { code, text: maxChars ? t('errors.tooLongMax', { count: maxChars }) : t('errors.tooLong') };
    case 'unreachable':
      return { code, text: t('errors.unreachable') };
    case 'unauthenticated':
    case 'permission_denied':
      return { code, text: t('errors.misconfigured') };
    case 'deadline_exceeded':
      return { code, text: t('errors.deadline') };
    case 'not_found':
      return { code, text: t('errors.notFound') };
    default:
      return { code, text: t('errors.generic') };
  }
}

/** The client policy's refusals: a used-up budget, a blocked user, a model outside the allowed ones. */
function policyRefusal(d: RpcErrorDescription, texts: Texts): string | undefined {
  const { t } = texts;
  if (d.code === 'resource_exhausted' && d.budget) {
    const spent = d.budget.startsWith('monthly') ? t('errors.budgetMonthly') : t('errors.budgetDaily');
    const wait = d.resetsAt ? (d.resetsAt.getTime() - Date.now()) / 1000 : 0;
    const when = wait > 0 ? ` ${t('errors.resetsIn', { duration: texts.duration(wait) })}` : '';
    return `${spent}${when} ${t('errors.seeUsage')}`;
  }
  if (d.code !== 'permission_denied') return undefined;
  if (d.blocked) return t('errors.blocked');
  if (d.allowedModels) return t('errors.modelNotAllowed');
  return undefined;
}

/** A refused file or a server that cannot do what a file needs (docs/attachments.md). */
function fileRefusal(d: RpcErrorDescription, texts: Texts): string | undefined {
  const { t } = texts;
  if (d.reason === 'model_without_vision') return t('attachments.noVision');
  if (d.reason === 'transcription_not_configured') return t('attachments.noTranscription');
  const file = d.attachment;
  if (!file) return undefined;
  const size = (bytes: number | undefined) =>
    `${texts.number(Math.round(((bytes ?? 0) / (1024 * 1024)) * 10) / 10)} MB`;
  switch (file.limit) {
    case 'attachment_bytes':
      return t('attachments.fileTooLarge', { size: size(file.maxBytes) });
    case 'attachment_turn_bytes':
      return t('attachments.filesTooLarge', { size: size(file.maxBytes) });
    case 'attachment_count':
      return t('attachments.tooManyFiles', { count: file.maxCount ?? 0 });
    case 'attachment_kinds':
      return t('attachments.kindNotAllowed');
  }
  if (file.mediaType === 'application/pdf') return t('attachments.unreadablePdf');
  return t('attachments.fileType');
}
