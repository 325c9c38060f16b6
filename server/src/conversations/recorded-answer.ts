import type {
  Assistant,
  AssistantReply,
  ConversationSettings,
  ReplyOptions,
} from '../assistant/assistant.ts';
import type { HistoryMessage } from '../assistant/context-window.ts';
import type { ToolProgress } from '../assistant/reply-scope.ts';
import type { ToolCallRecord } from '../tools/tool-runner.ts';
import type { ConversationStore } from './conversation-store.ts';
import type { TurnScope } from './turn-scope.ts';

/**
 * The assistant's reply. When it fails part-way (the client left, the model broke off), what was
 * written and the tools that ran are stored as an interrupted reply before the error goes on; with no
 * `conversationId` (a turn that stores nothing) the error just goes on.
 */
export async function recordedAnswer(
  deps: { assistant: Assistant; store: ConversationStore },
  conversation: ConversationSettings & { id?: string },
  history: HistoryMessage[],
  scope: TurnScope,
  options: ReplyOptions = {},
): Promise<AssistantReply> {
  let written = '';
  const toolCalls: ToolCallRecord[] = [];
  const tracking: TurnScope = {
    ...scope,
    emit: (event) => {
      if (event.type === 'delta') written += event.text;
      if (event.type === 'tool' && event.phase === 'finished') toolCalls.push(toRecord(event.tool));
      scope.emit(event);
    },
  };
  try {
    return await deps.assistant.reply(conversation, history, tracking, options);
  } catch (err) {
    if (conversation.id && (written || toolCalls.length > 0)) {
      await deps.store
        .append(conversation.id, { role: 'assistant', content: written, toolCalls, interrupted: true })
        .catch((e: unknown) => scope.logger.warn({ err: e }, 'could not store an interrupted reply'));
    }
    throw err;
  }
}

function toRecord(tool: ToolProgress): ToolCallRecord {
  return {
    id: tool.id,
    name: tool.name,
    arguments: tool.arguments,
    result: tool.result ?? '',
    isError: tool.isError ?? false,
  };
}
