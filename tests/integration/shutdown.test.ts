import { describe, expect, it } from 'vitest';
import type { Llm, LlmRequest, LlmResponse } from '../../server/src/assistant/llm.ts';
import { gate } from '../support/gate.ts';
import { startParley } from '../support/parley.ts';

/** Answers once released: the test begins the shutdown while the turn is surely in flight. */
class HeldModel implements Llm {
  readonly configured = true;
  readonly started = gate();
  readonly release = gate();
  async complete(request: LlmRequest): Promise<LlmResponse> {
    this.started.open();
    await this.release.opened;
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
    const model = new HeldModel();
    const parley = await startParley({ overrides: { llm: model } });
    const session = { platform: 'cli', userId: 'bye', chatId: '' };
    const inFlight = parley.client().startConversation({ message: 'still there?', session });
    await model.started.opened;
    // stop() stops accepting at once (server.close() runs before its first await); then the model answers.
    const stopped = parley.stop();
    model.release.open();
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
