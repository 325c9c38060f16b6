import { DEFAULT_ATTACHMENTS } from '@parley/config';
import type { AttachmentUpload, ContinueConversationRequest, StartConversationRequest } from '@parley/rpc';
import { checkUploads } from '../attachments/attachment-checks.ts';
import type { CheckedUpload } from '../attachments/attachment-types.ts';
import type { ConversationService } from '../conversations/conversation-service.ts';
import type { TurnScope } from '../conversations/turn-scope.ts';
import { AppError } from '../errors/app-error.ts';
import type { RequestContext } from './request-context.ts';
import { isFinal } from './running-turn.ts';
import { doneEvent, type WireEvent } from './turn-events.ts';
import type { TurnGate } from './turn-gate.ts';
import type { TurnHub, TurnRequest } from './turn-hub.ts';
import {
  type ChatServiceLimits,
  chatOf,
  optionalText,
  ownerOf,
  validId,
  validMessage,
} from './validation.ts';

// The two turn-taking calls, checked and ready for the TurnHub; unary and streaming share them.

export interface TurnDeps {
  service: ConversationService;
  limits: ChatServiceLimits;
  /** Client policy (checked before anything is stored), the turn's deadline, and usage charging. */
  gate: TurnGate;
}

/** The scope with the gate's signal: the caller's, the turn's deadline and shutdown, combined. */
function withSignal(scope: TurnScope, signal: AbortSignal): TurnScope {
  return {
    requestId: scope.requestId,
    idempotencyKey: scope.idempotencyKey,
    logger: scope.logger,
    signal,
    emit: (event) => scope.emit(event),
  };
}

/** Checks a StartConversation request (throwing invalid_argument) and returns its turn. */
export function startTurn(
  deps: TurnDeps,
  context: RequestContext,
  req: StartConversationRequest,
): TurnRequest {
  const owner = ownerOf(context.clientId, req.session);
  const message = req.message.trim() ? validMessage(req.message, deps.limits) : undefined;
  const uploads = req.attachments;
  const chat = chatOf(req.session);
  const systemPrompt = optionalText(req.systemPrompt, 'system_prompt', deps.limits.maxMessageChars);
  const model = optionalText(req.model, 'model', 100);
  return {
    call: { owner, method: 'StartConversation', idempotencyKey: req.requestId },
    requestId: context.requestId,
    logger: context.logger,
    run: async (scope) => {
      const attachments = await checkedUploads(deps.gate, owner.clientId, uploads);
      const admitted = await deps.gate.admit(owner, {
        ...(model ? { model } : {}),
        ...(systemPrompt ? { systemPrompt } : {}),
        newConversation: true,
        turn: message !== undefined || attachments.length > 0,
      });
      const input = {
        owner,
        ...(chat ? { chat } : {}),
        ...(message ? { message } : {}),
        ...(attachments.length > 0 ? { attachments } : {}),
        ...admitted,
      };
      const result = await deps.gate.run(
        owner,
        (signal) => deps.service.start(input, withSignal(scope, signal)),
        scope.signal,
      );
      return doneEvent(result.turn, result.conversation);
    },
  };
}

/** Checks a ContinueConversation request (throwing invalid_argument) and returns its turn. */
export function continueTurn(
  deps: TurnDeps,
  context: RequestContext,
  req: ContinueConversationRequest,
): TurnRequest {
  const owner = ownerOf(context.clientId, req.session);
  const uploads = req.attachments;
  // A message with files may have no text (a photo without a caption, a voice note).
  const message = uploads.length > 0 && !req.message.trim() ? '' : validMessage(req.message, deps.limits);
  const conversationId = req.conversationId ? validId(req.conversationId, 'conversation_id') : undefined;
  const chat = chatOf(req.session);
  return {
    call: { owner, method: 'ContinueConversation', idempotencyKey: req.requestId },
    requestId: context.requestId,
    logger: context.logger,
    run: async (scope, retryOfFailure) => {
      const attachments = await checkedUploads(deps.gate, owner.clientId, uploads);
      const input = {
        owner,
        message,
        retryOfFailure,
        ...(conversationId ? { conversationId } : {}),
        ...(chat ? { chat } : {}),
        ...(attachments.length > 0 ? { attachments } : {}),
      };
      await deps.gate.admit(owner, {});
      const turn = await deps.gate.run(
        owner,
        (signal) => deps.service.continue(input, withSignal(scope, signal)),
        scope.signal,
      );
      return doneEvent(turn, turn.conversation);
    },
  };
}

/** The request's files checked against the client's policy (before admission spends any limit). */
function checkedUploads(
  gate: TurnGate,
  clientId: string,
  uploads: readonly AttachmentUpload[],
): Promise<CheckedUpload[]> {
  if (uploads.length === 0) return Promise.resolve([]);
  return checkUploads(uploads, gate.policyOf(clientId).attachments ?? DEFAULT_ATTACHMENTS);
}

/** Runs a turn for a unary call: its `started` and its last event (`done` or `error`). */
export async function collectUnary(
  hub: TurnHub,
  turn: TurnRequest,
  context: RequestContext,
): Promise<{ started: WireEvent | undefined; final: WireEvent }> {
  let started: WireEvent | undefined;
  let final: WireEvent | undefined;
  await hub.join(turn, {
    transport: 'unary',
    signal: context.signal,
    onEvent: (event) => {
      if (event.oneofKind === 'started') started = event;
      if (isFinal(event)) final = event;
    },
  });
  // Only when the caller left: nobody reads this answer.
  if (!final) throw new AppError('aborted', 'the call was cancelled');
  return { started, final };
}
