import { RpcError } from '@protobuf-ts/runtime-rpc';
import { describe, expect, it } from 'vitest';
import { turnEvent } from './fake-turn.ts';
import type { TurnEvent } from './gen/parley/chat/v1/chat.ts';
import { type ResumeOptions, resumeOnDrop } from './resume-turn.ts';
import { brokenStreamError } from './stream.ts';

/** One connection: its events, then how it ends (a thrown error; none for a clean end). */
interface Connection {
  events: TurnEvent[];
  error?: Error;
}

/** Runs resumeOnDrop over scripted connections; records what came out, the notices and the waits. */
async function run(connections: Connection[], options: Partial<ResumeOptions> = {}) {
  const notices: string[] = [];
  const waits: number[] = [];
  const out: TurnEvent[] = [];
  let opened = 0;
  const events = resumeOnDrop({
    open: async function* () {
      const connection = connections[opened++];
      if (!connection) throw new Error('no more connections scripted');
      yield* connection.events;
      if (connection.error) throw connection.error;
    },
    signal: new AbortController().signal,
    onResumed: ({ restarted }) => notices.push(restarted ? 'restarted' : 'reconnected'),
    sleep: async (ms) => {
      waits.push(ms);
    },
    ...options,
  });
  let error: unknown;
  try {
    for await (const event of events) out.push(event);
  } catch (err) {
    error = err;
  }
  const text = out.flatMap((e) => (e.event.oneofKind === 'delta' ? [e.event.delta.text] : [])).join('');
  return { out, text, kinds: out.map((e) => e.event.oneofKind), notices, waits, opened, error };
}

const started = turnEvent.started('c1', true);
const drop = brokenStreamError('fetch failed: other side closed');

describe('resumeOnDrop', () => {
  it('re-attaches after a drop and passes on only what was not shown, saying so once', async () => {
    const result = await run([
      { events: [started, turnEvent.delta('Hello '), turnEvent.delta('wor')], error: drop },
      // The server replays `started` and the text so far as one delta, then the rest.
      {
        events: [
          started,
          turnEvent.delta('Hello world'),
          turnEvent.delta('!'),
          turnEvent.done('c1', 'Hello world!'),
        ],
      },
    ]);
    expect(result.error).toBeUndefined();
    expect(result.text).toBe('Hello world!');
    expect(result.kinds).toEqual(['started', 'delta', 'delta', 'delta', 'delta', 'done']);
    expect(result.notices).toEqual(['reconnected']);
    expect(result.waits).toEqual([100]);
  });

  it('shows the rest of a turn that finished while it was away, from the stored reply', async () => {
    const result = await run([
      { events: [started, turnEvent.delta('Part one, ')], error: drop },
      { events: [started, turnEvent.done('c1', 'Part one, part two.')] },
    ]);
    expect(result.text).toBe('Part one, part two.');
    expect(result.kinds.at(-1)).toBe('done');
  });

  it('passes each tool event once', async () => {
    const tool = turnEvent.tool({ name: 'get_weather', id: 't1' });
    const result = await run([
      { events: [started, tool], error: drop },
      { events: [started, tool, turnEvent.delta('Sunny'), turnEvent.done('c1', 'Sunny')] },
    ]);
    expect(result.kinds).toEqual(['started', 'tool', 'delta', 'done']);
  });

  it('gives up after a bounded number of re-attaches, backing off', async () => {
    const dropped = Array.from({ length: 10 }, () => ({ events: [started], error: drop }));
    const result = await run(dropped);
    expect(result.error).toBe(drop);
    expect(result.opened).toBe(6);
    expect(result.waits).toEqual([100, 500, 1_000, 2_000, 4_000]);
  });

  it('keeps trying while a restarting server refuses connections', async () => {
    const refused = brokenStreamError('fetch failed: connect ECONNREFUSED');
    const restarting = new RpcError(
      'the server is restarting; retry with the same request_id',
      'unavailable',
    );
    const result = await run([
      { events: [started, turnEvent.delta('Hi')], error: restarting },
      { events: [], error: refused },
      { events: [started, turnEvent.delta('Hi there'), turnEvent.done('c1', 'Hi there')] },
    ]);
    expect(result.text).toBe('Hi there');
    expect(result.notices).toEqual(['reconnected']);
  });

  it('does not retry what the server answered, nor a stream that never began', async () => {
    const model = new RpcError('the model is unavailable', 'unavailable');
    const answered = await run([{ events: [started, turnEvent.delta('Hi')], error: model }]);
    expect([answered.error, answered.opened]).toEqual([model, 1]);
    const refused = brokenStreamError('fetch failed: connect ECONNREFUSED');
    const down = await run([{ events: [], error: refused }]);
    expect([down.error, down.opened]).toEqual([refused, 1]);
  });

  it('shows a turn the server ran anew from its start, saying so', async () => {
    const result = await run([
      { events: [started, turnEvent.delta('The first answer')], error: drop },
      {
        events: [started, turnEvent.delta('A second'), turnEvent.delta(' answer'), turnEvent.done('c1', 'x')],
      },
    ]);
    expect(result.notices).toEqual(['reconnected', 'restarted']);
    expect(result.text).toBe('The first answerA second answer');
  });

  it('stops re-attaching once the caller aborts', async () => {
    const controller = new AbortController();
    controller.abort();
    const result = await run([{ events: [started], error: drop }], { signal: controller.signal });
    expect([result.error, result.opened]).toEqual([drop, 1]);
  });
});
