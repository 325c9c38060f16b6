import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { Llm, LlmRequest, LlmResponse } from '../../server/src/assistant/llm.ts';
import { startParley } from '../support/parley.ts';

/** Answers after a pause, long enough for a shutdown to begin while a turn is in flight. */
class SlowModel implements Llm {
  readonly configured = true;
  started = 0;
  async complete(request: LlmRequest): Promise<LlmResponse> {
    this.started++;
    await sleep(300);
    return {
      content: `late reply to ${request.messages.at(-1)?.content}`,
      toolCalls: [],
      usage: { promptTokens: 1, completionTokens: 1, totalTokens: 2 },
      model: 'slow',
    };
  }
}

describe('graceful shutdown', () => {
  it('finishes the turn in flight, stores it, and refuses new connections', async () => {
    const model = new SlowModel();
    const parley = await startParley({ overrides: { llm: model } });
    const session = { platform: 'cli', userId: 'bye', chatId: '' };
    const inFlight = parley.client().startConversation({ message: 'still there?', session });
    while (model.started === 0) await sleep(5);
    const stopped = parley.stop();
    const answer = await inFlight;
    expect(answer.reply?.content).toBe('late reply to still there?');
    await stopped;
    await expect(fetch(`${parley.url}/health`)).rejects.toThrow();

    const again = await startParley({ dataDir: parley.dataDir });
    try {
      const described = await again.client().describeConversation({
        conversationId: answer.conversation?.id ?? '',
        session,
      });
      expect(described.messages.map((m) => m.content)).toEqual([
        'still there?',
        'late reply to still there?',
      ]);
    } finally {
      await again.cleanup();
      await parley.cleanup();
    }
  });
});
