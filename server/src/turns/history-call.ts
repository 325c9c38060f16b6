import type { HistoryTurnInput, HistoryTurns } from '../conversations/history-turns.ts';
import type { CallOrigin } from './turn-calls.ts';
import type { TurnCall } from './turn-engine.ts';
import type { TurnGate } from './turn-gate.ts';

export interface HistoryCallDeps {
  history: HistoryTurns;
  gate: TurnGate;
}

/**
 * A turn over a history the caller holds (the OpenAI-compatible front door), as the engine runs it: the
 * same admission (policy, model, the client's system prompt, rate limits, budgets), metering and
 * charging as every other turn. `input.systemPrompt` is the client's own prompt; the gate composes it.
 */
export function historyCall(deps: HistoryCallDeps, origin: CallOrigin, input: HistoryTurnInput): TurnCall {
  const { owner } = input;
  return {
    key: { owner, method: 'ChatCompletion', idempotencyKey: origin.idempotencyKey },
    requestId: origin.requestId,
    logger: origin.logger,
    run: async (scope) => {
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
