import type { LlmMessage } from '../assistant/llm.ts';
import type { AttachmentUpload } from '../attachments/attachment-types.ts';
import type { HistoryTurnInput, HistoryTurnMessage, HistoryTurns } from '../conversations/history-turns.ts';
import { type CallOrigin, checkedUploads } from './turn-calls.ts';
import type { TurnCall } from './turn-engine.ts';
import type { TurnGate } from './turn-gate.ts';

export interface HistoryCallDeps {
  history: HistoryTurns;
  gate: TurnGate;
}

/** A history turn's input as a route checked it: its user messages' files as the client sent them. */
export type HistoryCallInput = Omit<HistoryTurnInput, 'messages'> & {
  messages: readonly (LlmMessage & { uploads?: readonly AttachmentUpload[] })[];
};

/**
 * A turn over a history the caller holds (the OpenAI-compatible front door), as the engine runs it: the
 * same admission (policy, model, the client's system prompt, rate limits, budgets), metering and
 * charging as every other turn. `input.systemPrompt` is the client's own prompt; the gate composes it.
 */
export function historyCall(deps: HistoryCallDeps, origin: CallOrigin, request: HistoryCallInput): TurnCall {
  const { owner } = request;
  return {
    key: { owner, method: 'ChatCompletion', idempotencyKey: origin.idempotencyKey },
    requestId: origin.requestId,
    logger: origin.logger,
    run: async (scope) => {
      // Every message's files meet the client's policy (the same checks as any turn's) before admission.
      const messages = await checkedMessages(deps, owner.clientId, request.messages);
      const input: HistoryTurnInput = { ...request, messages };
      // Admitted once the history was looked up: only a turn that starts a conversation counts as one.
      const admit = async (newConversation: boolean) => {
        const admitted = await deps.gate.admit(owner, {
          ...(input.model ? { model: input.model } : {}),
          ...(input.systemPrompt ? { systemPrompt: input.systemPrompt } : {}),
          newConversation,
        });
        return {
          ...(admitted.systemPrompt ? { systemPrompt: admitted.systemPrompt } : {}),
          ...(admitted.model ? { model: admitted.model } : {}),
        };
      };
      const result = await deps.gate.metered(owner, () => deps.history.run(input, scope, admit));
      return { type: 'done', conversation: result.conversation, turn: result };
    },
  };
}

async function checkedMessages(
  deps: HistoryCallDeps,
  clientId: string,
  messages: HistoryCallInput['messages'],
): Promise<HistoryTurnMessage[]> {
  const checked: HistoryTurnMessage[] = [];
  for (const [i, message] of messages.entries()) {
    const { uploads = [], ...rest } = message;
    if (rest.role !== 'user' || uploads.length === 0) {
      checked.push(rest);
      continue;
    }
    const files = await checkedUploads(deps.gate, clientId, uploads, `messages[${i}].content`);
    checked.push({ ...rest, uploads: files });
  }
  return checked;
}
