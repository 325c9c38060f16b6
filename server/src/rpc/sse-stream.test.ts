import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import type { TurnEvent } from '../turns/turn-event.ts';
import { type Flushable, FlushClock } from './flush-clock.ts';
import { SseStream } from './sse-stream.ts';

/** A response whose socket is full until `drain()`: records what was written. */
class FullSocket extends EventEmitter {
  written: string[] = [];
  writableLength = 0;
  destroyed = false;
  ended = false;
  accepting = true;
  writeHead() {
    return this;
  }
  flushHeaders() {}
  write(text: string): boolean {
    this.written.push(text);
    if (!this.accepting) this.writableLength += text.length;
    return this.accepting;
  }
  end(text?: string) {
    if (text) this.written.push(text);
    this.ended = true;
  }
  destroy() {
    this.destroyed = true;
    this.emit('close');
  }
  drain() {
    this.accepting = true;
    this.writableLength = 0;
    this.emit('drain');
  }
}

const delta = (text: string): TurnEvent => ({ type: 'delta', text });
const started: TurnEvent = { type: 'started', conversationId: 'c', isNew: false };

function open(socket: FullSocket, maxBufferedBytes = 10_000, clock = new FlushClock(60_000)): SseStream {
  const stream = new SseStream(socket as unknown as ServerResponse, {
    keepAliveMs: 60_000,
    maxBufferedBytes,
    clock,
  });
  stream.open();
  return stream;
}

/** A flush clock whose window ends when the test says. */
class ManualClock extends FlushClock {
  readonly due = new Set<Flushable>();
  override schedule(stream: Flushable): void {
    this.due.add(stream);
  }
  tick(): void {
    for (const stream of this.due) stream.flush();
    this.due.clear();
  }
}

describe('SseStream', () => {
  it('writes the first text at once and merges later text until the clock ticks', () => {
    const socket = new FullSocket();
    const clock = new ManualClock(50);
    const stream = open(socket, 10_000, clock);
    stream.send(started);
    stream.send(delta('a'));
    stream.send(delta('b'));
    stream.send(delta('c'));
    expect(socket.written).toEqual([
      'event: started\ndata: {"started":{"conversation_id":"c"}}\n\n',
      'event: delta\ndata: {"delta":{"text":"a"}}\n\n',
    ]);
    clock.tick();
    expect(socket.written.at(-1)).toBe('event: delta\ndata: {"delta":{"text":"bc"}}\n\n');
    stream.send(delta('d'));
    stream.send({ type: 'error', error: { code: 'unavailable', message: 'gone', meta: {} } });
    expect(socket.written.at(-1)).toBe(
      'event: delta\ndata: {"delta":{"text":"d"}}\n\nevent: error\ndata: {"error":{"code":"unavailable","msg":"gone"}}\n\n',
    );
    stream.end();
    expect(socket.ended).toBe(true);
  });

  it('writes each event as an SSE frame named after it', () => {
    const socket = new FullSocket();
    const stream = open(socket);
    stream.send(started);
    stream.send(delta('Hi "there"'));
    expect(socket.written).toEqual([
      'event: started\ndata: {"started":{"conversation_id":"c"}}\n\n',
      'event: delta\ndata: {"delta":{"text":"Hi \\"there\\""}}\n\n',
    ]);
    stream.end();
    expect(socket.ended).toBe(true);
  });

  it('merges deltas while the socket is full and keeps their order with other events', () => {
    const socket = new FullSocket();
    const stream = open(socket);
    socket.accepting = false;
    stream.send(delta('a'));
    expect(socket.written).toHaveLength(1);
    for (const piece of ['b', 'c', 'd']) stream.send(delta(piece));
    stream.send({ type: 'error', error: { code: 'unavailable', message: 'gone', meta: {} } });
    stream.end();
    expect(socket.written).toHaveLength(1);
    socket.drain();
    expect(socket.written.slice(1).join('')).toBe(
      'event: delta\ndata: {"delta":{"text":"bcd"}}\n\nevent: error\ndata: {"error":{"code":"unavailable","msg":"gone"}}\n\n',
    );
    expect(socket.ended).toBe(true);
  });

  it('drops a reader that lets more than the bound queue up', () => {
    const socket = new FullSocket();
    const stream = open(socket, 1_000);
    socket.accepting = false;
    for (let i = 0; i < 100 && !socket.destroyed; i++) stream.send(delta('x'.repeat(50)));
    expect(socket.destroyed).toBe(true);
    expect(socket.written).toHaveLength(1);
  });
});
