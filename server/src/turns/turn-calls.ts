import { DEFAULT_ATTACHMENTS } from '@parley/config';
import type { Logger } from '@parley/logger';
import { checkUploads } from '../attachments/attachment-checks.ts';
import type { AttachmentUpload, CheckedUpload } from '../attachments/attachment-types.ts';
import type {
  ContinueInput,
  ConversationService,
  StartInput,
} from '../conversations/conversation-service.ts';
import type { Owner } from '../conversations/conversation-store.ts';
import type { ChatRef } from '../conversations/session-manager.ts';
import type { TurnCall, TurnEngine } from './turn-engine.ts';
import { isFinal, type TurnEnd, type TurnStarted } from './turn-event.ts';
import type { TurnGate } from './turn-gate.ts';

// The two turn-taking calls as the engine runs them, from checked domain input: every route (Twirp
// unary, SSE, other front doors) validates its own request shape, then builds its call here.

export interface TurnCallDeps {
  service: ConversationService;
  /** Client policy (checked before anything is stored) and usage charging. */
  gate: TurnGate;
}

/** Who asks: the request's ids and logger. */
export interface CallOrigin {
  requestId: string;
  /** The client's `request_id` ('' when none): a retry with it re-attaches or gets the first answer. */
  idempotencyKey: string;
  logger: Logger;
}

/** A new conversation, and its first turn when there is a message. */
export interface StartTurnInput {
  owner: Owner;
  chat?: ChatRef;
  message?: string;
  /** The caller's own system prompt (appended to the operator's, if its policy allows). */
  systemPrompt?: string;
  model?: string;
  /** The user's language as the client knows it: a hint for the model. */
  language?: string;
  /** Files sent with the first message, as the client sent them (checked here, by its policy). */
  uploads?: AttachmentUpload[];
}

/** The next turn of a conversation: by id, or by the chat's session; files as the client sent them. */
export type ContinueTurnInput = Omit<ContinueInput, 'retryOfFailure' | 'attachments'> & {
  uploads?: AttachmentUpload[];
};

export function startCall(deps: TurnCallDeps, origin: CallOrigin, input: StartTurnInput): TurnCall {
  const { owner, chat, message, systemPrompt, model, language, uploads = [] } = input;
  return {
    key: { owner, method: 'StartConversation', idempotencyKey: origin.idempotencyKey },
    requestId: origin.requestId,
    logger: origin.logger,
    run: async (scope) => {
      const attachments = await checkedUploads(deps.gate, owner.clientId, uploads);
      const admitted = await deps.gate.admit(owner, {
        ...(model ? { model } : {}),
        ...(systemPrompt ? { systemPrompt } : {}),
        newConversation: true,
        turn: message !== undefined || attachments.length > 0,
      });
      const start: StartInput = {
        owner,
        ...(chat ? { chat } : {}),
        ...(message ? { message } : {}),
        ...(language ? { language } : {}),
        ...(attachments.length > 0 ? { attachments } : {}),
        ...admitted,
      };
      const result = await deps.gate.metered(owner, () => deps.service.start(start, scope));
      return {
        type: 'done',
        conversation: result.conversation,
        ...(result.turn ? { turn: result.turn } : {}),
      };
    },
  };
}

export function continueCall(deps: TurnCallDeps, origin: CallOrigin, input: ContinueTurnInput): TurnCall {
  const { owner, uploads = [], ...rest } = input;
  return {
    key: { owner, method: 'ContinueConversation', idempotencyKey: origin.idempotencyKey },
    requestId: origin.requestId,
    logger: origin.logger,
    run: async (scope, retryOfFailure) => {
      const attachments = await checkedUploads(deps.gate, owner.clientId, uploads);
      await deps.gate.admit(owner, {});
      const continued: ContinueInput = {
        ...rest,
        owner,
        retryOfFailure,
        ...(attachments.length > 0 ? { attachments } : {}),
      };
      const turn = await deps.gate.metered(owner, () => deps.service.continue(continued, scope));
      return { type: 'done', conversation: turn.conversation, turn };
    },
  };
}

/**
 * A message's files checked against the client's policy (before admission spends any limit); refusals
 * name `allField` for the message's files together, each file's own field otherwise.
 */
export function checkedUploads(
  gate: TurnGate,
  clientId: string,
  uploads: readonly AttachmentUpload[],
  allField?: string,
): Promise<CheckedUpload[]> {
  if (uploads.length === 0) return Promise.resolve([]);
  return checkUploads(uploads, gate.policyOf(clientId).attachments ?? DEFAULT_ATTACHMENTS, allField);
}

/**
 * Runs a turn for a caller that wants only its outcome (unary calls): its `started` (absent when the
 * turn failed first) and its last event. Undefined when the caller left first: nobody reads the answer.
 */
export async function collect(
  engine: TurnEngine,
  call: TurnCall,
  signal: AbortSignal,
): Promise<{ started?: TurnStarted; final: TurnEnd } | undefined> {
  let started: TurnStarted | undefined;
  let final: TurnEnd | undefined;
  await engine.join(call, {
    transport: 'unary',
    signal,
    onEvent: (event) => {
      if (event.type === 'started') started = event;
      if (isFinal(event)) final = event;
    },
  });
  if (!final) return undefined;
  return { ...(started ? { started } : {}), final };
}
