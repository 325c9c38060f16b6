import { RpcError } from '@protobuf-ts/runtime-rpc';
import {
  Conversation,
  Message,
  Role,
  type ToolEvent,
  ToolPhase,
  TurnEvent,
  Usage,
} from './gen/parley/chat/v1/chat.ts';

/**
 * Builders of {@link TurnEvent}s for tests of the clients, so a scripted turn reads like the wire:
 * `[turnEvent.started('c1', true), turnEvent.delta('Hi'), turnEvent.done('c1', 'Hi')]`.
 */
export const turnEvent = {
  started: (conversationId: string, newConversation = false, userMessage?: string): TurnEvent =>
    TurnEvent.create({
      event: {
        oneofKind: 'started',
        started: {
          conversationId,
          newConversation,
          ...(userMessage === undefined
            ? {}
            : { userMessage: Message.create({ id: 'm-user', role: Role.USER, content: userMessage }) }),
        },
      },
    }),
  delta: (text: string): TurnEvent => TurnEvent.create({ event: { oneofKind: 'delta', delta: { text } } }),
  tool: (tool: Partial<ToolEvent> & { name: string }): TurnEvent =>
    TurnEvent.create({
      event: {
        oneofKind: 'tool',
        tool: {
          phase: ToolPhase.STARTED,
          id: `call-${tool.name}`,
          arguments: '{}',
          provenance: 'builtin',
          ...tool,
          result: tool.result ?? '',
          isError: tool.isError ?? false,
        },
      },
    }),
  done: (conversationId: string, reply: string, toolsUsed: string[] = []): TurnEvent =>
    TurnEvent.create({
      event: {
        oneofKind: 'done',
        done: {
          conversation: Conversation.create({ id: conversationId }),
          reply: Message.create({ id: 'm-reply', role: Role.ASSISTANT, content: reply }),
          usage: Usage.create({ promptTokens: 1, completionTokens: 1, totalTokens: 2 }),
          toolsUsed,
        },
      },
    }),
};

/** A pause in a scripted turn; `Infinity` waits until the caller aborts. */
export interface FakeTurnPause {
  pauseMs: number;
}

export type FakeTurnStep = TurnEvent | FakeTurnPause;

/**
 * Plays `steps` as a streamed turn, the way the real stream client behaves: an `error` event is thrown
 * as an RpcError, and aborting `signal` ends the turn with a `cancelled` RpcError at once, mid-pause too.
 */
export async function* playTurn(
  steps: FakeTurnStep[],
  signal?: AbortSignal,
): AsyncGenerator<TurnEvent, void, undefined> {
  for (const step of steps) {
    if ('pauseMs' in step) {
      await pause(step.pauseMs, signal);
      continue;
    }
    if (signal?.aborted) throw cancelled();
    const { event } = step;
    if (event.oneofKind === 'error') {
      throw new RpcError(event.error.msg || event.error.code, event.error.code, { ...event.error.meta });
    }
    yield step;
    if (event.oneofKind === 'done') return;
  }
}

/** The default answer of the fake stream methods: `Echo: <message>`, told a word at a time. */
export function echoTurn(message: string, conversationId: string, isNew: boolean): FakeTurnStep[] {
  const reply = `Echo: ${message}`;
  const words = reply.match(/\S+\s*/g) ?? [reply];
  return [
    turnEvent.started(conversationId, isNew, message),
    ...words.map((word) => turnEvent.delta(word)),
    turnEvent.done(conversationId, reply),
  ];
}

function cancelled(): RpcError {
  return new RpcError('the call was cancelled', 'cancelled');
}

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(cancelled());
      return;
    }
    const timer = Number.isFinite(ms) ? setTimeout(done, ms) : undefined;
    function done() {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }
    function onAbort() {
      clearTimeout(timer);
      reject(cancelled());
    }
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
