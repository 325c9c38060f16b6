import { ContinueConversationResponse, StartConversationResponse, TurnEvent } from '@parley/rpc';
import { describe, expect, it } from 'vitest';
import type { LlmUsage } from '../assistant/llm.ts';
import type { TurnResult } from '../conversations/conversation-service.ts';
import type {
  AttachmentMeta,
  ConversationRecord,
  MessageRole,
  StoredMessage,
} from '../conversations/conversation-store.ts';
import type { TurnDone, TurnStarted } from '../turns/turn-event.ts';
import { continueResponseJson, doneEventJson, startedEventJson, startResponseJson } from './turn-json.ts';
import { continueResponse, sseFrame, startResponse, toWireEvent } from './turn-wire.ts';

// The hand-written JSON against protobuf-ts's reflection writer (what twirp-ts and the SSE frames used
// before), over many generated records: every optional part present or absent, empty and awkward
// strings, zero counts, timestamps with and without milliseconds.

const PROTO_JSON = { useProtoFieldName: true, emitDefaultValues: false } as const;

/** A small seeded generator (mulberry32), so a failure names a case that can be run again. */
function generator(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;
  const bool = () => next() < 0.5;
  const TEXTS = [
    '',
    'plain',
    'a "quote" \\ back',
    'line\nbreak\ttab',
    'ünïcödé ✓ 😀',
    '\u0000\u001f\u2028\u2029',
    '{"json":[1]}',
  ];
  const text = () => (bool() ? pick(TEXTS) : `${pick(TEXTS)}${int(1000)}${pick(TEXTS)}`);
  const date = () => {
    const ms = pick([0, 1, 999, 1_000, 1_765_000_000_000, 1_765_000_000_123, 253_402_300_799_999]);
    return new Date(bool() ? ms : Math.floor(ms / 1000) * 1000 + int(1000));
  };
  const count = () => pick([0, 1, 7, 12_345, 2_147_483_647]);
  const usage = (): LlmUsage => ({ promptTokens: count(), completionTokens: count(), totalTokens: count() });
  const attachment = (): AttachmentMeta => ({
    id: text(),
    kind: pick(['image', 'audio', 'document'] as const),
    mediaType: text(),
    name: text(),
    sizeBytes: pick([0, 1, 5_000_000, 2 ** 40]),
    ...(bool() ? { transcript: text() } : {}),
    ...(bool() ? { text: text() } : {}),
    ...(bool() ? { truncated: bool() } : {}),
  });
  const message = (): StoredMessage => ({
    id: text(),
    conversationId: text(),
    seq: int(100),
    role: pick<MessageRole>(['user', 'assistant', 'system', 'tool']),
    content: text(),
    createdAt: date(),
    toolCalls: Array.from({ length: pick([0, 0, 1, 2]) }, () => ({
      id: text(),
      name: text(),
      arguments: text(),
      result: text(),
      isError: bool(),
    })),
    ...(bool() ? { interrupted: true as const } : {}),
    ...(bool() ? { attachments: Array.from({ length: int(3) }, attachment) } : {}),
  });
  const conversation = (): ConversationRecord => ({
    id: text(),
    owner: { clientId: text(), userId: text() },
    title: text(),
    platform: text(),
    chatId: text(),
    createdAt: date(),
    updatedAt: date(),
    messageCount: count(),
    systemPrompt: text(),
    model: text(),
    summary: text(),
    summarizedThroughSeq: int(10),
  });
  const turn = (): TurnResult => ({
    conversation: conversation(),
    reply: message(),
    usage: usage(),
    toolsUsed: Array.from({ length: pick([0, 1, 3]) }, text),
    isNew: bool(),
  });
  const started = (): TurnStarted => ({
    type: 'started',
    conversationId: text(),
    isNew: bool(),
    ...(bool() ? { userMessage: message() } : {}),
  });
  const done = (): TurnDone => ({
    type: 'done',
    conversation: conversation(),
    ...(next() < 0.8 ? { turn: turn() } : {}),
  });
  return { started, done, bool };
}

const CASES = 2_000;

describe('turn JSON written by hand', () => {
  it('writes `started` and `done` frames exactly as the protobuf JSON writer would', () => {
    const gen = generator(18);
    for (let i = 0; i < CASES; i++) {
      for (const event of [gen.started(), gen.done()]) {
        const proto = TurnEvent.toJsonString({ event: toWireEvent(event) }, PROTO_JSON);
        const hand = event.type === 'started' ? startedEventJson(event) : doneEventJson(event);
        expect(hand, `case ${i}`).toBe(proto);
        expect(sseFrame(event)).toBe(`event: ${event.type}\ndata: ${proto}\n\n`);
      }
    }
  });

  it('writes the unary answers exactly as twirp-ts writes them', () => {
    const gen = generator(7);
    for (let i = 0; i < CASES; i++) {
      const started = gen.bool() ? gen.started() : undefined;
      const done = gen.done();
      const continued = ContinueConversationResponse.toJson(continueResponse(started, done), PROTO_JSON);
      expect(continueResponseJson(started, done), `case ${i}`).toBe(JSON.stringify(continued));
      const start = StartConversationResponse.toJson(startResponse(done), PROTO_JSON);
      expect(startResponseJson(done), `case ${i}`).toBe(JSON.stringify(start));
    }
  });

  it('reads back as the same messages', () => {
    const gen = generator(3);
    for (let i = 0; i < 200; i++) {
      const event = gen.done();
      expect(TurnEvent.fromJsonString(doneEventJson(event)).event).toEqual(toWireEvent(event));
    }
  });

  it('writes timestamps outside 1970…9999 as the protobuf writer does, or fails as it does', () => {
    const gen = generator(5);
    for (const ms of [-1, -1500, -1000, -3_155_760_000_000, 253_402_300_800_000, Number.NaN]) {
      const event = gen.done();
      event.conversation.createdAt = new Date(ms);
      delete event.turn;
      const outcome = (write: () => string) => {
        try {
          return write();
        } catch {
          return 'throws';
        }
      };
      const proto = outcome(() => TurnEvent.toJsonString({ event: toWireEvent(event) }, PROTO_JSON));
      expect(
        outcome(() => doneEventJson(event)),
        String(ms),
      ).toBe(proto);
    }
  });
});
