import { describe, expect, it } from 'vitest';
import { decodeEvent, decodeRecord, encodeEvent, encodeRecord, type TurnDone } from './turn-event.ts';

const at = new Date('2026-12-06T10:00:00.000Z');
const conversation = {
  id: 'c1',
  owner: { clientId: 'bot', userId: 'u' },
  title: 'T',
  platform: '',
  chatId: '',
  createdAt: at,
  updatedAt: at,
  messageCount: 2,
  systemPrompt: '',
  model: '',
  summary: '',
  summarizedThroughSeq: 0,
};
const reply = {
  id: 'm2',
  conversationId: 'c1',
  seq: 2,
  role: 'assistant' as const,
  content: 'Hi "there"\n',
  toolCalls: [],
  createdAt: at,
};
const done: TurnDone = {
  type: 'done',
  conversation,
  turn: {
    conversation,
    reply,
    usage: { promptTokens: 3, completionTokens: 4, totalTokens: 7 },
    toolsUsed: [],
    isNew: false,
  },
};

describe('turn events across processes', () => {
  it('round-trip through their JSON with dates intact', () => {
    expect(decodeEvent(encodeEvent(done))).toEqual(done);
    const delta = { type: 'delta', text: 'a "quoted"\npiece ✓' } as const;
    expect(decodeEvent(encodeEvent(delta))).toEqual(delta);
    expect(JSON.parse(encodeEvent(delta))).toEqual(delta);
  });

  it('keep a finished turn as its record', () => {
    const started = { type: 'started', conversationId: 'c1', isNew: true } as const;
    expect(decodeRecord(encodeRecord({ started, done }))).toEqual({ started, done });
  });
});
