import { RpcError } from '@protobuf-ts/runtime-rpc';
import type {
  ContinueConversationResponse,
  Conversation,
  Message,
  StartConversationResponse,
  TurnEvent,
} from './gen/parley/chat/v1/chat.ts';
import { turnErrorToRpcError } from './stream.ts';

/**
 * A streamed turn folded into the unary responses' shape: it is both a ContinueConversationResponse and
 * a StartConversationResponse, so code written for the unary calls takes it as it is.
 */
export interface CollectedTurn extends ContinueConversationResponse, StartConversationResponse {
  conversation?: Conversation;
  /** The user message as the server stored it (from `started`). */
  userMessage?: Message;
}

/**
 * Reads a turn's events to the end and returns what the unary call would have returned. Throws what the
 * iterable throws (an `error` event arrives as an RpcError), and `unavailable` when the events end
 * before `done`.
 */
export async function collectTurn(events: AsyncIterable<TurnEvent>): Promise<CollectedTurn> {
  const turn: CollectedTurn = { conversationId: '', newConversation: false, toolsUsed: [] };
  for await (const { event } of events) {
    switch (event.oneofKind) {
      case 'started':
        turn.conversationId = event.started.conversationId;
        turn.newConversation = event.started.newConversation;
        if (event.started.userMessage) turn.userMessage = event.started.userMessage;
        break;
      case 'done': {
        const { conversation, reply, usage, toolsUsed } = event.done;
        if (conversation) {
          turn.conversation = conversation;
          turn.conversationId = conversation.id;
        }
        if (reply) turn.reply = reply;
        if (usage) turn.usage = usage;
        turn.toolsUsed = toolsUsed;
        return turn;
      }
      case 'error':
        throw turnErrorToRpcError(event.error);
      default:
        // Deltas and tool progress are for display; `done` carries the stored reply.
        break;
    }
  }
  throw new RpcError('the stream ended before the turn finished', 'unavailable');
}
