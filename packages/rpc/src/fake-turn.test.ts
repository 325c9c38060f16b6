import { describe, expect, it } from 'vitest';
import { collectTurn } from './collect-turn.ts';
import { FakeChatClient, playTurn, turnEvent } from './fake-chat-client.ts';
import { TurnEvent } from './gen/parley/chat/v1/chat.ts';
import { isRpcError } from './index.ts';

async function kinds(events: AsyncIterable<TurnEvent>): Promise<string[]> {
  const seen: string[] = [];
  for await (const { event } of events) seen.push(event.oneofKind ?? '?');
  return seen;
}

describe('FakeChatClient streams', () => {
  it('echoes a word at a time and records the call', async () => {
    const client = new FakeChatClient();
    const events = client.streamContinueConversation({ message: 'hi there', conversationId: 'c9' });
    expect(await kinds(events)).toEqual(['started', 'delta', 'delta', 'delta', 'done']);
    expect(client.requests('streamContinueConversation')).toEqual([
      { message: 'hi there', conversationId: 'c9' },
    ]);
    const turn = await collectTurn(client.streamStartConversation({ message: 'x' }));
    expect(turn).toMatchObject({
      conversationId: 'c-new',
      newConversation: true,
      reply: { content: 'Echo: x' },
    });
  });

  it('throws an error event as an RpcError with its code and meta', async () => {
    const error = TurnEvent.create({
      event: { oneofKind: 'error', error: { code: 'unavailable', msg: 'model down', meta: { a: 'b' } } },
    });
    const failure = await kinds(playTurn([turnEvent.started('c1'), error])).catch((err: unknown) => err);
    expect(isRpcError(failure) && [failure.code, failure.message, failure.meta]).toEqual([
      'unavailable',
      'model down',
      { a: 'b' },
    ]);
  });

  it('ends a paused turn with cancelled as soon as the signal aborts', async () => {
    const controller = new AbortController();
    const seen: string[] = [];
    const played = (async () => {
      for await (const { event } of playTurn(
        [turnEvent.delta('a'), { pauseMs: Infinity }],
        controller.signal,
      )) {
        seen.push(event.oneofKind ?? '?');
        controller.abort();
      }
    })();
    await expect(played).rejects.toMatchObject({ code: 'cancelled' });
    expect(seen).toEqual(['delta']);
  });
});
