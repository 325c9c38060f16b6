import { TurnEvent } from '@parley/rpc';
import { describe, expect, it } from 'vitest';
import { sseFrame, toWireEvent } from './turn-wire.ts';

describe('SSE frames of turn events', () => {
  it('writes a delta by hand exactly as the protobuf JSON writer would', () => {
    for (const text of [
      'plain',
      'a "quote" and \\ backslash',
      'line\nbreak\ttab',
      'ünïcödé ✓ 😀',
      '\u0001\u2028',
    ]) {
      const event = { type: 'delta', text } as const;
      const proto = TurnEvent.toJsonString({ event: toWireEvent(event) }, { useProtoFieldName: true });
      expect(sseFrame(event)).toBe(`event: delta\ndata: ${proto}\n\n`);
      expect(TurnEvent.fromJsonString(sseFrame(event).split('data: ')[1] ?? '').event).toEqual(
        toWireEvent(event),
      );
    }
  });

  it('names the frame after the event and writes its protobuf JSON', () => {
    const frame = sseFrame({
      type: 'error',
      error: { code: 'resource_exhausted', message: 'slow down', meta: { retry_after: '3' } },
    });
    expect(frame).toBe(
      'event: error\ndata: {"error":{"code":"resource_exhausted","msg":"slow down","meta":{"retry_after":"3"}}}\n\n',
    );
  });
});
